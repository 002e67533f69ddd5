/**
 * Incident timeline entries the platform writes are a code with parameters, worded in both languages
 * when read (issue 22: the English console showed the stored Chinese). Rows written before the codes
 * existed get theirs from their fields by migration 0043; what cannot be recovered keeps its text.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { describeEachBackend } from '../../../test/helpers/db.ts';
import { listMigrations, migrate } from '../../db/migrate.ts';
import { secopsRepo } from './secops.repo.ts';
import { timelineMessage } from './timeline.ts';

describe('timeline entries in words', () => {
  it('words each code in Chinese and English', () => {
    expect(timelineMessage('auto_opened', {})).toEqual({ zh: '由告警自动创建', en: 'Opened automatically from an alert' });
    expect(timelineMessage('containment', { kind: 'suspend_key', target: 'app' })).toEqual({ zh: '暂停 API 密钥：app', en: 'Suspend API key: app' });
    expect(timelineMessage('deadline_warning', { which: 'first', minutes: 30 })).toEqual({
      zh: '首次报告将于 30 分钟后到期',
      en: 'The first report is due in 30 minutes',
    });
    expect(timelineMessage('deadline_warning', { which: 'final', minutes: -5 })).toEqual({
      zh: '最终报告已超时 5 分钟',
      en: 'The final report is 5 minutes overdue',
    });
    expect(timelineMessage('severity', { from: 'general', to: 'major' })).toEqual({ zh: '一般 → 重大', en: 'General → Major' });
  });

  it('has no words for a person’s entry, an unknown code or parameters that do not fit', () => {
    expect(timelineMessage(null, {})).toBeNull();
    expect(timelineMessage('something_new', {})).toBeNull();
    expect(timelineMessage('containment', { kind: 'delete_everything', target: 'x' })).toBeNull();
    expect(timelineMessage('severity', { from: 'general' })).toBeNull();
    expect(timelineMessage('deadline_warning', { which: 'first', minutes: '30' })).toBeNull();
  });
});

describeEachBackend(
  'timeline rows written before codes (migration 0043)',
  ({ use }) => {
    it('gives old rows their code where their fields say it, and keeps the stored text of the rest', async () => {
      const db = use().db;
      await migrate(
        db,
        listMigrations().filter((m) => m.version < 43),
      );
      const incident = randomUUID();
      const containment = randomUUID();
      await db.query(`INSERT INTO secops_incidents (id, title, severity) VALUES ($1, '疑似密钥泄露', 'significant')`, [incident]);
      await db.query(
        `INSERT INTO secops_containments (id, kind, target_id, target_label, reason, automatic) VALUES ($1, 'suspend_key', 'k-1', '低保核验', '{"zh":"夜间异常","en":"night"}', true)`,
        [containment],
      );
      const add = (kind: string, actor: string | null, text: string, details: object) =>
        db.query(`INSERT INTO secops_incident_events (incident_id, actor_name, kind, text, details) VALUES ($1, $2, $3, $4, $5)`, [
          incident,
          actor,
          kind,
          text,
          JSON.stringify(details),
        ]);
      await add('opened', 'pdx', '由告警自动创建', { alertIds: [], severity: 'significant' });
      await add('action', 'pdx', '暂停 API 密钥：低保核验', { containmentId: containment });
      await add('warning', 'pdx', '首次报告将于 29 分钟后到期', { which: 'first', due: '2026-12-04T04:00:00Z' });
      await add('severity', 'secadmin', '较大 → 重大', { from: 'significant', to: 'major' });
      // A person's words, and a platform row whose containment is gone: as written.
      await add('action', 'secadmin', '已通知朝阳市民政局更换密钥', {});
      await add('action', 'pdx', '冻结数据共享：210000-000001', { containmentId: randomUUID() });

      await migrate(db);
      const rows = await secopsRepo(db).incidentEvents(incident);
      const shown = (lang: 'zh' | 'en') => rows.map((e) => timelineMessage(e.code, e.params)?.[lang] ?? e.text);
      expect(rows.map((e) => e.code)).toEqual(['auto_opened', 'containment', 'deadline_warning', 'severity', null, null]);
      expect(shown('en')).toEqual([
        'Opened automatically from an alert',
        'Suspend API key: 低保核验',
        'The first report is due in 29 minutes',
        'Significant → Major',
        '已通知朝阳市民政局更换密钥',
        '冻结数据共享：210000-000001',
      ]);
      // The Chinese words are the sentences the rows stored.
      expect(shown('zh')).toEqual(rows.map((e) => e.text));
    });
  },
  { migrate: false },
);
