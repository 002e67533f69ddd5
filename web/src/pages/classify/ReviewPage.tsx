import { Alert, App, Button, Space, Spin } from 'antd';
import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { classifyApi, typeId, type ColumnDecision, type ReviewView } from '../../api/classify.ts';
import { useAuth } from '../../auth.tsx';
import { useLoad } from '../../hooks/useLoad.ts';
import { useI18n } from '../../i18n.tsx';
import { isOverride, ReviewColumns, type Draft } from './ReviewColumns.tsx';
import { ReviewSummary } from './ReviewSummary.tsx';

function draftOf(view: ReviewView): Draft {
  return Object.fromEntries(
    view.columns.map((c) => [c.name, { type: typeId(c.effectiveType), grade: c.effectiveGrade, reason: c.review?.override ? c.review.reason : '' }]),
  );
}

/**
 * The officer's review of one dataset: per column the detected type with its evidence and masked
 * examples, and a decision (type and grade; a reason when it differs from the detection).
 */
export function ReviewPage() {
  const { code = '' } = useParams();
  const { t, sep } = useI18n();
  const { has } = useAuth();
  const { message } = App.useApp();
  const { data: view, error, set: setView } = useLoad(() => classifyApi.view(code), [code]);
  // Edits belong to the view they were made on: a newer view (reloaded, or the confirmed one) starts from its own decisions.
  const [edits, setEdits] = useState<{ of: ReviewView; draft: Draft }>();
  const [saving, setSaving] = useState(false);
  const officer = has('data_officer');

  if (error) return <Alert type="error" showIcon message={error} />;
  if (!view) return <Spin />;

  const draft = edits?.of === view ? edits.draft : draftOf(view);
  const set = (name: string, patch: Partial<Draft[string]>) =>
    setEdits((prev) => {
      const d = prev?.of === view ? prev.draft : draftOf(view);
      return { of: view, draft: { ...d, [name]: { ...d[name]!, ...patch } } };
    });

  async function confirm() {
    const missing = view!.columns.filter((c) => isOverride(c, draft[c.name]) && draft[c.name]!.reason.trim().length < 2).map((c) => c.name);
    if (missing.length) {
      message.error(`${t('cls.reasonRequired')}${missing.join(sep)}`);
      return;
    }
    setSaving(true);
    try {
      const columns: ColumnDecision[] = view!.columns.map((c) => {
        const d = draft[c.name]!;
        return { name: c.name, type: d.type, grade: d.grade, ...(isOverride(c, d) ? { reason: d.reason.trim() } : {}) };
      });
      setView(await classifyApi.review(code, { version: view!.currentVersion, columns }));
      message.destroy();
      message.success(t('cls.confirmed'));
    } catch (e) {
      message.error((e as Error).message);
    } finally {
      setSaving(false);
    }
  }

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Link to="/classify">← {t('cls.back')}</Link>
      <ReviewSummary view={view} />
      {view.state === 'unreviewed' && <Alert type="warning" showIcon message={t('cls.unreviewedHint')} />}
      {view.state === 'changed' && <Alert type="warning" showIcon message={`${t('cls.changedHint')}${view.flaggedColumns.join(sep)}`} />}
      {view.notice && <Alert type="error" showIcon message={view.notice} data-testid="replace-notice" />}
      <ReviewColumns view={view} draft={draft} officer={officer} onChange={set} />
      {officer && (
        <Button type="primary" loading={saving} onClick={() => void confirm()} data-testid="confirm-review">
          {t('cls.confirm')}
        </Button>
      )}
    </Space>
  );
}
