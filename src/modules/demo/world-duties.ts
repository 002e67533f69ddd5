/**
 * The duties part of the demo world (issue 20): a share request left unanswered past its time limit
 * and escalated to the platform authority, an objection pending with its rows flagged, and a
 * correction applied; 户籍人口 flowing back to the cities and counties (朝阳市 and its counties among
 * them); a data need of 朝阳市民政局 answered by 省公安厅 with a linked dataset; consumers' ratings of
 * three datasets they read, and the reminder of an overdue catalogue entry (科技型企业登记信息, whose
 * monthly file was extracted 70 days before the load).
 */
import type { Platform } from '../../main.ts';
import type { Caller } from '../../http/access.ts';

type Services = Platform['services'];

export async function loadDutiesWorld(services: Services, codes: Map<string, string>, log: (line: string) => void): Promise<void> {
  const { identity, share, duties } = services;
  const callerOf = async (username: string): Promise<Caller> => {
    const user = (await identity.find.userByName(username))!;
    return { principal: { kind: 'user', userId: user.id, username, orgId: user.org_id, roles: user.roles }, requestId: 'demo' };
  };

  // 朝阳市民政局 asked 省公安厅 for 户籍人口 30 days before the load (world.ts), still unanswered: past its
  // time limit. The sweep (as on any day) escalates it to the authority; it counts against 省公安厅 as
  // overdue and escalated, and is alerted in security operations.
  const pending = (await share.share.allRequests({ states: ['submitted'] })).find((r) => r.dataset_code === codes.get('户籍人口信息'));
  if (pending) {
    const { escalated } = await duties.service.sweep();
    const state = (await duties.service.clocksOf([pending])).get(pending.id)?.current?.state;
    log(`  share request ${pending.id.slice(0, 8)} (户籍人口信息) ${state}, escalated: ${escalated.filter((id) => id === pending.id).length}`);
  }

  const sensors = codes.get('朝阳钢铁生产线传感器读数');
  if (sensors) await loadObjections(duties, callerOf, sensors, log);

  // 户籍人口 flows back (数据回流) by its county code: 省公安厅 chooses the forms, the secadmin approves;
  // every city and county organisation then holds a grant on the rows of its region and below.
  const people = codes.get('户籍人口信息');
  if (!people) return;
  const police = await callerOf('ga-officer');
  const secadmin = await callerOf('secadmin');
  const flow = await duties.returnFlow.propose(police, {
    dataset: people,
    regionColumn: '户籍地代码',
    regionKind: 'code',
    columns: [
      { name: '姓名', mode: 'masked' },
      { name: '性别', mode: 'clear' },
      { name: '身份证号', mode: 'pseudonym' },
      { name: '户籍地', mode: 'clear' },
      { name: '户籍地代码', mode: 'clear' },
      { name: '登记日期', mode: 'clear' },
    ],
    purpose: '数据回流：支撑市县户籍人口相关政务服务',
  });
  await duties.returnFlow.approve(secadmin, flow.id, '同意回流，身份证号假名化、姓名脱敏');
  const delivered = (await share.share.returnFlowGrants(flow.id)).length;
  log(`  return flow of 户籍人口信息: ${delivered} cities and counties hold their grant`);

  // 供需对接: 朝阳市民政局 needs data on 低保 applicants' household registration; the authority
  // assigns it to 省公安厅, which answers with the existing 户籍人口 dataset (awaiting acceptance).
  const minzheng = await callerOf('zy-minzheng');
  const need = await duties.demands.publish(minzheng, {
    title: '低保申请人户籍信息核验',
    description: '核验低保申请人的户籍所在地与家庭成员户籍关系，减少群众提交户口簿复印件',
    fields: ['姓名', '身份证号', '户籍地'],
    purpose: '低保资格核验（《社会救助暂行办法》第十一条）',
    suggestedOrgId: police.principal.orgId,
  });
  await duties.demands.assign(secadmin, need.id, { orgId: police.principal.orgId, note: '请省公安厅答复' });
  await duties.demands.answer(police, need.id, { kind: 'linked', dataset: people, text: '已编目的户籍人口信息可满足，请按最小必要原则提交共享申请' });
  log(`  data need ${need.id.slice(0, 8)} answered by 省公安厅 with 户籍人口信息`);

  await loadEvaluation(services, codes, callerOf, log);
}

/** Reads a few pages as a consumer does (each audited as a data response, so counted in the usage statistics). */
async function read(records: Services['share']['records'], caller: Caller, code: string, limit: number, grant?: string): Promise<number> {
  const stream = await records.open(caller, code, { filter: { and: [] }, order: [], limit, ...(grant ? { grant } : {}) });
  let rows = 0;
  for await (const chunk of stream.chunks) rows += chunk.length;
  return rows;
}

/**
 * 共享评价: 朝阳城市大脑 and 朝阳市民政局 read what they hold grants on, then rate it (the sensors, the
 * petitions, and 户籍人口 under its return-flow grant); the upkeep sweep reminds 省科技厅 of its
 * overdue register.
 */
async function loadEvaluation(
  services: Services,
  codes: Map<string, string>,
  callerOf: (username: string) => Promise<Caller>,
  log: (line: string) => void,
): Promise<void> {
  const { duties, share } = services;
  const brain = await callerOf('zy-brain');
  const minzheng = await callerOf('zy-minzheng');
  const sensors = codes.get('朝阳钢铁生产线传感器读数');
  const petitions = codes.get('信访事项登记');
  const people = codes.get('户籍人口信息');
  if (sensors) {
    await read(share.records, brain, sensors, 200);
    await duties.ratings.rate(brain, sensors, { quality: 4, timeliness: 5, usefulness: 5, comment: '读数完整，秒级更新，满足城市大脑运行监测' });
  }
  if (petitions) {
    await read(share.records, minzheng, petitions, 50);
    await duties.ratings.rate(minzheng, petitions, { quality: 4, timeliness: 3, usefulness: 4, comment: '事项内容去标识后仍可用于督办；建议补充办结时间' });
  }
  if (people) {
    const grants = await share.share.grants(minzheng.principal, { dataset: people });
    const returned = grants.find((g) => g.return_flow_id !== null);
    if (returned) await read(share.records, minzheng, people, 100, returned.id);
    await duties.ratings.rate(minzheng, people, { quality: 5, timeliness: 3, usefulness: 5, comment: '回流数据覆盖全市及各县区，建议按月及时更新' });
  }
  const { reminded } = await duties.upkeep.sweep();
  log(`  ratings on ${[sensors, petitions, people].filter(Boolean).length} datasets; overdue catalogue entries reminded: ${reminded.length}`);
}

/**
 * 朝阳城市大脑 reads the steel plant's sensors: it objects to one reading (pending) and to another,
 * which 朝阳钢铁 verifies and corrects (a correction version of that row).
 */
async function loadObjections(
  duties: Services['duties'],
  callerOf: (username: string) => Promise<Caller>,
  sensors: string,
  log: (line: string) => void,
): Promise<void> {
  const brain = await callerOf('zy-brain');
  const pendingObjection = await duties.objections.raise(brain, {
    dataset: sensors,
    cells: [{ row: 7, column: '数值', proposed: '1452.5' }],
    evidence: '同一时刻热电偶备用通道读数为 1452.5℃，该值为通道漂移所致',
  });
  const corrected = await duties.objections.raise(brain, {
    dataset: sensors,
    cells: [{ row: 3, column: '单位', proposed: '℃' }],
    evidence: '高炉炉温的计量单位应为摄氏度',
  });
  await duties.objections.accept(await callerOf('zg-officer'), corrected.id, { note: '核实为录入错误，已更正' });
  log(`  objections: ${pendingObjection.id.slice(0, 8)} pending (row 7 flagged), ${corrected.id.slice(0, 8)} corrected`);
}
