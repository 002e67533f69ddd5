import { ArrowLeftOutlined, PrinterOutlined } from '@ant-design/icons';
import { Button, Result, Space, Spin } from 'antd';
import { Link, useParams } from 'react-router-dom';
import { shareApi } from '../../api/share.ts';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';
import { RowFilter } from './common.tsx';
import './print.css';

/**
 * /sharing/requests/:id/print — the 审批单 of a request (and its grant): who asked, for which columns
 * with their grades and granted forms, which rows in words, why, until when, and every decision with
 * who, when and the opinion. Plain black-on-white; @media print hides the console around it.
 */
export function PrintForm() {
  const { id = '' } = useParams();
  const { t, label, time, colon, paren } = useI18n();
  const { data: d, error } = useLoad(() => shareApi.request(id), [id]);
  if (error) return <Result status="error" title={t('share.loadFailed')} subTitle={error} />;
  if (!d) return <Spin size="large" style={{ display: 'block', margin: '80px auto' }} />;
  const granted = new Map((d.terms?.columns ?? []).map((c) => [c.name, c]));
  const none = '—';
  /** The verdict and the opinion written with it (a note that already says 同意 is not repeated). */
  const opinion = (verdict: string, note: string | null) => (!note ? verdict : note.startsWith(verdict) ? note : `${verdict}${colon}${note}`);
  const decisions: { step: string; who: string; at: string; opinion: string }[] = [
    { step: t('share.print.stepSubmit'), who: `${d.requester.name}${paren(d.consumerName)}`, at: time(d.createdAt), opinion: d.purpose },
  ];
  if (d.providerDecidedAt) {
    const approved = d.terms !== null;
    decisions.push({
      step: t('share.print.stepProvider'),
      who: `${d.providerDecider?.name ?? none}${paren(d.providerName)}`,
      at: time(d.providerDecidedAt),
      opinion: opinion(approved ? t('share.print.approved') : t('share.print.rejected'), d.providerNote),
    });
  }
  if (d.securityDecidedAt) {
    decisions.push({
      step: t('share.print.stepSecurity'),
      who: d.securityDecider?.name ?? none,
      at: time(d.securityDecidedAt),
      opinion: opinion(d.state === 'rejected' ? t('share.print.rejected') : t('share.print.approved'), d.securityNote),
    });
  }
  if (d.withdrawnAt) decisions.push({ step: t('share.print.stepWithdraw'), who: d.requester.name, at: time(d.withdrawnAt), opinion: d.withdrawReason ?? none });

  return (
    <div className="pdx-print-page">
      <Space className="pdx-no-print" style={{ marginBottom: 16 }} wrap>
        <Link to={`/sharing/requests/${d.id}`}>
          <ArrowLeftOutlined /> {t('share.print.back')}
        </Link>
        <Button type="primary" icon={<PrinterOutlined />} onClick={() => window.print()} data-testid="print">
          {t('share.print.print')}
        </Button>
      </Space>
      <article className="pdx-print-sheet" data-testid="print-sheet">
        <h1>{t('share.print.title')}</h1>
        <p className="pdx-print-meta">
          {t('share.print.number')}
          {colon}
          {d.id} · {t('share.col.state')}
          {colon}
          {t(`share.state.${d.state}`)}
        </p>
        <table className="pdx-print-table">
          <tbody>
            <tr>
              <th>{t('share.col.consumer')}</th>
              <td>{d.consumerName}</td>
              <th>{t('share.col.requesterUser')}</th>
              <td>
                {d.requester.name}
                {paren(d.requester.username)}
              </td>
            </tr>
            <tr>
              <th>{t('share.col.dataset')}</th>
              <td>
                {d.dataset.name}
                {paren(d.dataset.code)}
              </td>
              <th>{t('share.col.provider')}</th>
              <td>{d.providerName}</td>
            </tr>
            <tr>
              <th>{t('share.f.category')}</th>
              <td>{label('share.category', d.purposeCategory)}</td>
              <th>{t('share.print.validity')}</th>
              <td data-testid="print-validity">{d.terms ? d.terms.endDate : d.endDate}</td>
            </tr>
            <tr>
              <th>{t('share.f.purpose')}</th>
              <td colSpan={3}>{d.purpose}</td>
            </tr>
            <tr>
              <th>{t('share.f.legalBasis')}</th>
              <td colSpan={3}>{d.legalBasis}</td>
            </tr>
            <tr>
              <th>{t('share.col.rowFilter')}</th>
              <td colSpan={3} data-testid="print-filter">
                <RowFilter filter={d.terms ? d.terms.rowFilter : d.rowFilter} />
              </td>
            </tr>
          </tbody>
        </table>
        <h2>{t('share.print.columns')}</h2>
        <table className="pdx-print-table" data-testid="print-columns">
          <thead>
            <tr>
              <th>{t('share.print.column')}</th>
              <th>{t('share.print.grade')}</th>
              <th>{t('share.print.form')}</th>
            </tr>
          </thead>
          <tbody>
            {d.columnDetails.map((c) => {
              const g = granted.get(c.name);
              return (
                <tr key={c.name}>
                  <td>{c.name}</td>
                  <td>{c.grade === null ? none : t('share.print.gradeN', { n: c.grade })}</td>
                  <td>{d.terms ? (g ? t(`share.mode.${g.mode}`) : t('share.print.notGranted')) : t('share.print.pending')}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <h2>{t('share.print.decisions')}</h2>
        <table className="pdx-print-table" data-testid="print-decisions">
          <thead>
            <tr>
              <th>{t('share.print.step')}</th>
              <th>{t('share.print.who')}</th>
              <th>{t('share.print.when')}</th>
              <th>{t('share.print.opinion')}</th>
            </tr>
          </thead>
          <tbody>
            {decisions.map((x) => (
              <tr key={x.step}>
                <td>{x.step}</td>
                <td>{x.who}</td>
                <td>{x.at}</td>
                <td>{x.opinion}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <p className="pdx-print-meta">{t('share.print.footer', { time: time(new Date().toISOString()) })}</p>
      </article>
    </div>
  );
}
