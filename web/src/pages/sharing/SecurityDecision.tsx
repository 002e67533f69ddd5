import { App, Button, Card, Input, Space, Typography } from 'antd';
import { useState } from 'react';
import { shareApi, type RequestDetail } from '../../api/share.ts';
import { useI18n } from '../../i18n.tsx';

/** The security administrator's second approval of a request with 4级 columns or a 重要数据 candidate. */
export function SecurityDecision({ detail, onDone }: { detail: RequestDetail; onDone: () => void }) {
  const { t } = useI18n();
  const { message, modal } = App.useApp();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  async function run(action: 'approve' | 'reject') {
    setBusy(true);
    try {
      if (action === 'approve') await shareApi.securityApprove(detail.id, note.trim() || undefined);
      else await shareApi.reject(detail.id, note);
      message.success(t(action === 'approve' ? 'share.securityApproved' : 'share.rejectedDone'));
      onDone();
    } catch (e) {
      message.error((e as Error).message);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Card title={t('share.securityTitle')} data-testid="security-form">
      <Typography.Paragraph type="secondary">{t('share.securityHint')}</Typography.Paragraph>
      <Input.TextArea
        rows={2}
        value={note}
        onChange={(e) => setNote(e.target.value)}
        placeholder={t('share.securityNote')}
        style={{ marginBottom: 12 }}
        data-testid="security-note"
      />
      <Space wrap>
        <Button
          type="primary"
          loading={busy}
          onClick={() =>
            modal.confirm({
              title: t('share.securityConfirm', { org: detail.consumerName, dataset: detail.dataset.name }),
              content: t('share.approveNextActive'),
              okText: t('share.securityApprove'),
              cancelText: t('share.confirmBack'),
              onOk: () => run('approve'),
            })
          }
          data-testid="security-approve"
        >
          {t('share.securityApprove')}
        </Button>
        <Button danger disabled={note.trim().length < 2} loading={busy} onClick={() => void run('reject')} data-testid="security-reject">
          {t('share.reject')}
        </Button>
      </Space>
    </Card>
  );
}
