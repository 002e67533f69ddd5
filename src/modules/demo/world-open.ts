/**
 * The open-data part of the demo world (issue 18 point 9): 锦州金秋文化旅游季活动, 全国科普日活动 and
 * 耕地保护任务分解 opened without conditions; 科技型企业登记信息 opened on application, with one
 * application from an enterprise waiting for 省科技厅; and 信访事项登记, a person-level dataset, opened
 * as a de-identified release (by city and month, petitioners' names, phones and case numbers removed)
 * that passed the check. Every release goes through the real check and publication.
 */
import type { Platform } from '../../main.ts';
import type { Caller } from '../identity/identity.service.ts';
import { generatePassword } from '../identity/passwords.ts';
import type { PlanColumn } from '../open/releases.ts';
import type { DemoAccount } from './world.ts';

type Services = Platform['services'];

/** The demo's enterprise society user (社会用户), its password shown once like the other accounts. */
const ENTERPRISE = { email: 'data@lnzhikong.example.cn', displayName: '辽宁智控科技有限公司', orgName: '辽宁智控科技有限公司', uscc: '91210100MA0Y8K1U3W' };

/** Plans of the person-level release; other columns keep the plan pdx proposes. */
export const PETITION_PLAN: Record<string, Partial<PlanColumn>> = {
  事项编号: { role: 'direct' },
  信访人: { role: 'direct' },
  联系电话: { role: 'direct' },
  诉求类别: { role: 'sensitive' },
  所在地: { role: 'quasi', hierarchy: 'region', level: 1 },
  登记日期: { role: 'quasi', hierarchy: 'date', level: 1 },
  办理状态: { role: 'insensitive' },
};

export async function loadOpenWorld(services: Services, codes: Map<string, string>, log: (line: string) => void): Promise<DemoAccount[]> {
  const { identity, catalog } = services;
  const { releases, society, participation } = services.open.service;
  const callerOf = async (username: string): Promise<Caller> => {
    const user = (await identity.find.userByName(username))!;
    return { principal: { kind: 'user', userId: user.id, username, orgId: user.org_id, roles: user.roles }, requestId: 'demo' };
  };

  /** Starts a release with the given plan changes, applies the check's first proposal until it passes, publishes. */
  async function open(username: string, name: string, plan: Record<string, Partial<PlanColumn>> = {}) {
    const caller = await callerOf(username);
    const code = codes.get(name)!;
    let release = await releases.create(caller, code);
    if (Object.keys(plan).length) release = await releases.update(caller, release.id, { columns: release.columns.map((c) => ({ ...c, ...plan[c.name] })) });
    for (let attempt = 0; attempt < 4; attempt++) {
      const { report } = await releases.check(caller, release.id);
      if (report.passed) break;
      const proposal = report.proposals[0];
      if (!proposal) throw new Error(`demo release of ${name} cannot pass the check`);
      const levels = new Map(proposal.levels.map((l) => [l.name, l.level]));
      release = await releases.update(caller, release.id, { columns: release.columns.map((c) => ({ ...c, level: levels.get(c.name) ?? c.level })) });
    }
    const published = await releases.publish(caller, release.id);
    log(`  ${code}  ${name}  opened (${published.open_type === 'conditional' ? '有条件开放' : '无条件开放'}, ${published.row_count} rows)`);
    return code;
  }

  await open('jz-officer', '锦州金秋文化旅游季活动');
  await open('kj-officer', '全国科普日活动');
  await open('zr-officer', '耕地保护任务分解');
  const enterprises = await open('kj-officer', '科技型企业登记信息');
  // 信访事项 is opened only as a de-identified release.
  const petitions = codes.get('信访事项登记')!;
  await catalog.update(await callerOf('xf-officer'), petitions, { open_type: 'unconditional' });
  await open('xf-officer', '信访事项登记', PETITION_PLAN);

  const password = generatePassword();
  const user = await society.seed({
    email: ENTERPRISE.email,
    password,
    kind: 'enterprise',
    displayName: ENTERPRISE.displayName,
    orgName: ENTERPRISE.orgName,
    uscc: ENTERPRISE.uscc,
  });
  await participation.apply({ society: { kind: 'society', userId: user.id, email: user.email, verified: true }, requestId: 'demo' }, enterprises, {
    purpose: '工业互联网产业链招商分析',
    intendedUse: '按产业集群统计科技型企业分布，用于园区招商规划，不对外提供原始数据',
    applicant: { name: '陈经理', organization: ENTERPRISE.orgName, uscc: ENTERPRISE.uscc, phone: '024-88886666' },
  });
  return [{ username: ENTERPRISE.email, displayName: ENTERPRISE.displayName, org: '社会用户（企业）', roles: [], password }];
}
