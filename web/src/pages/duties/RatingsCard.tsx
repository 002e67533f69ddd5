/**
 * 共享评价 on the dataset page: the means and count for everyone who sees the dataset, the rating form
 * for a consumer whose organisation holds or held a grant, and each rating with its comment for the
 * provider's data officers and the platform authority.
 */
import { Alert, App, Button, Card, Descriptions, Empty, Form, Input, Rate, Space, Table, Typography } from 'antd';
import { useEffect } from 'react';
import { evaluationApi, type RatingInput, type Ratings } from '../../api/duties.ts';
import { useAuth } from '../../auth.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';

const DIMENSIONS = ['quality', 'timeliness', 'usefulness'] as const;
type Review = NonNullable<Ratings['reviews']>[number];

export function RatingsCard({ code, providerOrgId }: { code: string; providerOrgId: string }) {
  const { t, time } = useI18n();
  const { me, has } = useAuth();
  const { message } = App.useApp();
  const { data, error, reload } = useLoad(() => evaluationApi.ratings(code), [code]);
  const [form] = Form.useForm<RatingInput>();
  const mine = data?.mine;
  useEffect(() => {
    if (mine) form.setFieldsValue({ quality: mine.quality, timeliness: mine.timeliness, usefulness: mine.usefulness, comment: mine.comment ?? '' });
  }, [mine, form]);

  const submit = async () => {
    const v = await form.validateFields();
    try {
      await evaluationApi.rate(code, {
        quality: v.quality,
        timeliness: v.timeliness,
        usefulness: v.usefulness,
        comment: v.comment?.trim() ? v.comment.trim() : null,
      });
      void message.success(t('duties.rt.saved'));
      await reload();
    } catch (e) {
      void message.error((e as Error).message);
    }
  };

  const mean = (n: number) => n.toFixed(1);
  const consumerElsewhere = has('consumer') && me?.orgId !== providerOrgId;
  return (
    <Card title={t('duties.rt.title')} data-testid="ratings">
      {error && <Alert type="error" showIcon message={error} />}
      {data && (
        <Space direction="vertical" size={16} style={{ width: '100%' }}>
          {data.means ? (
            <Descriptions size="small" column={{ xs: 1, md: 4 }} data-testid="rating-means">
              <Descriptions.Item label={t('duties.rt.overall')}>
                <Space size={8}>
                  <Rate disabled allowHalf value={Math.round(data.means.overall * 2) / 2} />
                  <Typography.Text strong>{mean(data.means.overall)}</Typography.Text>
                  <Typography.Text type="secondary">{t('duties.rt.count', { n: data.count.toLocaleString('en-US') })}</Typography.Text>
                </Space>
              </Descriptions.Item>
              {DIMENSIONS.map((d) => (
                <Descriptions.Item key={d} label={t(`duties.rt.${d}`)}>
                  {mean(data.means![d])}
                </Descriptions.Item>
              ))}
            </Descriptions>
          ) : (
            <Typography.Text type="secondary" data-testid="rating-none">
              {t('duties.rt.none')}
            </Typography.Text>
          )}
          {data.canRate && (
            <Form form={form} layout="inline" data-testid="rating-form" style={{ rowGap: 8 }}>
              {DIMENSIONS.map((d) => (
                <Form.Item key={d} name={d} label={t(`duties.rt.${d}`)} rules={[{ required: true }]}>
                  <Rate data-testid={`rate-${d}`} />
                </Form.Item>
              ))}
              <Form.Item name="comment" style={{ flex: '1 1 280px' }}>
                <Input.TextArea rows={1} maxLength={2000} placeholder={t('duties.rt.comment')} data-testid="rate-comment" />
              </Form.Item>
              <Button type="primary" onClick={() => void submit()} data-testid="rate-submit">
                {mine ? t('duties.rt.change') : t('duties.rt.submit')}
              </Button>
            </Form>
          )}
          {!data.canRate && consumerElsewhere && <Alert type="info" showIcon message={t('duties.rt.cannot')} />}
          {data.reviews && (
            <Table<Review>
              size="small"
              rowKey={(r) => `${r.orgName}-${r.updatedAt}`}
              dataSource={data.reviews}
              pagination={{ pageSize: 10, hideOnSinglePage: true }}
              data-testid="rating-reviews"
              title={() => t('duties.rt.reviews')}
              locale={{ emptyText: <Empty description={t('duties.rt.none')} /> }}
              scroll={{ x: 720 }}
              columns={[
                { title: t('duties.rt.org'), dataIndex: 'orgName', width: 180 },
                ...DIMENSIONS.map((d) => ({ title: t(`duties.rt.${d}`), dataIndex: d, width: 90 })),
                { title: t('duties.rt.comment'), dataIndex: 'comment', render: (v: string | null) => v ?? '—' },
                { title: t('duties.rt.at'), dataIndex: 'updatedAt', width: 170, render: (v: string) => time(v) },
              ]}
            />
          )}
        </Space>
      )}
    </Card>
  );
}
