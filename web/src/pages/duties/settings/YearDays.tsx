/**
 * A year's holidays and make-up working days as the clocks read them (GET /api/v1/duties/calendar):
 * the State Council's table with this platform's changes over it, beside the form that changes them.
 */
import { Card, Segmented, Table, Tag } from 'antd';
import { useState } from 'react';
import { dutiesSettingsApi, type CalendarDay } from '../../../api/duties.ts';
import { useLoad } from '../../../hooks/useLoad.ts';
import { chinaDate, useI18n } from '../../../i18n.tsx';

/** `version` changes after each save, so the list shows what was saved. */
export function YearDays({ version }: { version: number }) {
  const { t, date } = useI18n();
  const thisYear = Number(chinaDate(new Date()).slice(0, 4));
  const [year, setYear] = useState(thisYear);
  const { data, loading } = useLoad(() => dutiesSettingsApi.calendar(year), [year, version]);
  return (
    <Card
      size="small"
      title={t('dset.year.title', { year })}
      extra={
        <Segmented size="small" value={year} onChange={(y) => setYear(Number(y))} options={[thisYear - 1, thisYear, thisYear + 1]} data-testid="dset-year" />
      }
      style={{ height: '100%' }}
      data-testid="dset-year-days"
    >
      <Table<CalendarDay>
        size="small"
        rowKey="date"
        loading={loading}
        dataSource={data?.days ?? []}
        pagination={false}
        // The whole year in one list (about 40 days), scrolling inside the card.
        scroll={{ y: 380 }}
        locale={{ emptyText: t('dset.year.none') }}
        columns={[
          { title: t('dset.cal.date'), dataIndex: 'date', width: 110, render: (d: string) => date(d) },
          {
            title: t('dset.cal.kind'),
            dataIndex: 'kind',
            width: 140,
            render: (k: CalendarDay['kind']) => <Tag color={k === 'holiday' ? 'red' : 'blue'}>{t(`dset.cal.kind.${k}`)}</Tag>,
          },
          {
            title: t('dset.cal.name'),
            dataIndex: 'name',
            // The official table is the rule; what this platform changed is marked.
            render: (name: string, d) => (
              <>
                {name} {d.origin === 'override' && <Tag color="gold">{t('dset.year.override')}</Tag>}
              </>
            ),
          },
        ]}
      />
    </Card>
  );
}
