/**
 * The duties part of the demo world (issue 20): a share request left unanswered past its time limit
 * and escalated to the platform authority, an objection pending with its rows flagged, and a
 * correction applied.
 */
import type { Platform } from '../../main.ts';
import type { Caller } from '../../http/access.ts';

type Services = Platform['services'];

export async function loadDutiesWorld(services: Services, codes: Map<string, string>, log: (line: string) => void): Promise<void> {
  const { identity, share, duties } = services;
  const callerOf = async (username: string): Promise<Caller> => {
    const user = (await identity.repo.getUserByName(username))!;
    return { principal: { kind: 'user', userId: user.id, username, orgId: user.org_id, roles: user.roles }, requestId: 'demo' };
  };

  // 朝阳市民政局 asked 省公安厅 for 户籍人口 (loaded just before, still unanswered). Its deadline is
  // judged once with a clock moved past it, as the sweep will on the day: escalated to the authority,
  // counted against 省公安厅 and alerted in security operations.
  const pending = (await share.share.allRequests({ states: ['submitted'] })).find((r) => r.dataset_code === codes.get('户籍人口信息'));
  if (pending) {
    const clock = (await duties.service.clocksOf([pending])).get(pending.id)?.current;
    if (clock) {
      const { escalated } = await duties.service.sweep(new Date(clock.dueAt.getTime() + 3600_000));
      log(`  share request ${pending.id.slice(0, 8)} (户籍人口信息) overdue, escalated: ${escalated.length}`);
    }
  }

  // 朝阳城市大脑 reads the steel plant's sensors: it objects to one reading (pending) and to another,
  // which 朝阳钢铁 verifies and corrects (a correction version of that row).
  const sensors = codes.get('朝阳钢铁生产线传感器读数');
  if (!sensors) return;
  const brain = await callerOf('zy-brain');
  const pendingObjection = await duties.objections.raise(brain, {
    dataset: sensors,
    cells: [{ row: 7, column: '数值', proposed: '1452.5' }],
    evidence: '同一时刻热电偶备用通道读数为 1452.5℃,该值为通道漂移所致',
  });
  const corrected = await duties.objections.raise(brain, {
    dataset: sensors,
    cells: [{ row: 3, column: '单位', proposed: '℃' }],
    evidence: '高炉炉温的计量单位应为摄氏度',
  });
  await duties.objections.accept(await callerOf('zg-officer'), corrected.id, { note: '核实为录入错误,已更正' });
  log(`  objections: ${pendingObjection.id.slice(0, 8)} pending (row 7 flagged), ${corrected.id.slice(0, 8)} corrected`);
}
