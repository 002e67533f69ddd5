/**
 * The demo world's plant (issue 19): 鞍钢集团朝阳钢铁 with 3 lines × 20 devices × 10 points sampled every
 * second, registered by its data officer, shared as a telemetry set under which 朝阳城市大脑 reads the
 * hourly energy roll-ups, and a simulated gateway that publishes over real MQTT to pdx's broker with
 * a few faults the quality checks find: a stuck thermometer, a device that falls silent now and then,
 * vibration spikes and an over-range temperature.
 *
 * Device tokens are shown once and stored hashed; the simulator keeps its own copy in
 * `data/demo-telemetry.json` (mode 0600), like a gateway's credential file.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { loadMqtt } from '../../heavy.ts';
import type { Platform } from '../../main.ts';
import type { Caller } from '../identity/identity.service.ts';
import type { RegistryRow } from '../telemetry/telemetry.service.ts';

type Services = Platform['services'];

const FILE = 'demo-telemetry.json';
const LINES = [
  { code: 'BF1', name: '1号高炉' },
  { code: 'BOF2', name: '2号转炉' },
  { code: 'HSM3', name: '3号热轧线' },
];
const DEVICES_PER_LINE = 20;
/** code, name, unit, min, max, level, typical value, noise. */
const POINTS: [string, string, string, number, number, 1 | 2 | 3, number, number][] = [
  ['temp', '温度', '°C', 0, 1600, 2, 1180, 8],
  ['pressure', '压力', 'kPa', 0, 600, 2, 320, 4],
  ['flow', '流量', 'm³/h', 0, 5000, 2, 2400, 40],
  ['power', '有功功率', 'kW', 0, 8000, 1, 3200, 60],
  ['energy', '累计电量', 'kWh', 0, 1e12, 1, 0, 0],
  ['vibration', '振动', 'mm/s', 0, 50, 2, 3.2, 0.15],
  ['speed', '转速', 'rpm', 0, 3000, 2, 1480, 6],
  ['current', '电流', 'A', 0, 2000, 1, 820, 12],
  ['voltage', '电压', 'V', 0, 12000, 1, 10000, 30],
  ['running', '运行状态', '', 0, 1, 1, 1, 0],
];

export const DEMO_ENTERPRISE = 'cysteel';

function deviceCode(line: number, n: number): string {
  return `${LINES[line]!.code}-D${String(n + 1).padStart(2, '0')}`;
}

/** The registry rows of the simulated plant. */
export function demoPlantRows(): RegistryRow[] {
  const rows: RegistryRow[] = [];
  LINES.forEach((line, l) => {
    for (let d = 0; d < DEVICES_PER_LINE; d++) {
      for (const [code, name, unit, min, max, level] of POINTS) {
        rows.push({
          plant: 'CY',
          plantName: '朝阳钢铁本部',
          line: line.code,
          lineName: line.name,
          device: deviceCode(l, d),
          deviceName: `${line.name}${d + 1}号机组`,
          point: code,
          pointName: name,
          unit,
          dataType: code === 'running' ? 'boolean' : 'float',
          min,
          max,
          // The energy meter is read once a minute; the rest every second.
          samplingMs: code === 'energy' ? 60_000 : 1000,
          level,
        });
      }
    }
  });
  return rows;
}

export function hasDemoTelemetry(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, FILE));
}

/** `preferred` when free on `host`, else any free port. */
export async function freePortOr(preferred: number, host: string): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(0));
    probe.listen(preferred, host, () => probe.close(() => resolve(preferred)));
  });
}

/**
 * Registers the plant as 朝阳钢铁's data officer, issues the devices' tokens (kept for the simulator),
 * back-fills six hours of energy readings at one per minute, publishes the telemetry set and lets
 * 朝阳城市大脑 read its hourly energy roll-ups under an approved grant.
 */
export async function loadDemoTelemetry(services: Services, options: { dataDir: string; log?: (line: string) => void }): Promise<void> {
  const { identity, telemetry, catalog, share } = services;
  const callerOf = async (username: string): Promise<Caller> => {
    const user = (await identity.find.userByName(username))!;
    return { principal: { kind: 'user', userId: user.id, username, orgId: user.org_id, roles: user.roles }, requestId: 'demo' };
  };
  const officer = await callerOf('zg-officer');
  const t = telemetry.service;
  await t.updateSettings(officer, { enterpriseCode: DEMO_ENTERPRISE, autoRegister: false });
  await t.register(officer, demoPlantRows());
  const tokens: Record<string, string> = {};
  for (let l = 0; l < LINES.length; l++) {
    for (let d = 0; d < DEVICES_PER_LINE; d++) tokens[deviceCode(l, d)] = (await t.issueToken(officer, deviceCode(l, d))).token;
  }

  // Six hours of energy history, one reading a minute per device, sent as the gateway would. The
  // devices send together, as a plant's gateways do: the writer commits their samples in a few
  // batches instead of waiting its linger (200 ms) for each device in turn (12 s of the first start).
  const now = Date.now();
  const start = now - 6 * 3_600_000;
  await Promise.all(
    Object.keys(tokens).map(async (device) => {
      const ctx = (await t.authenticateDevice(tokens[device]!))!;
      const samples = [];
      for (let ts = start; ts < now - 60_000; ts += 60_000)
        samples.push({ point: 'energy', value: Math.round(((ts - start) / 3_600_000) * 3200 * 10) / 10, tsUs: ts * 1000 });
      await t.ingest(ctx, samples, { via: 'http', receivedMs: now, maxDelayMs: 60_000 });
    }),
  );

  const set = await t.createSet(officer, {
    name: '朝阳钢铁生产线实时测点',
    summary: '1号高炉、2号转炉、3号热轧线 60 台机组的温度、压力、流量、功率、电量、振动等 600 个测点，秒级采集（工业大数据）。',
    shareConditions: '仅限工业和信息化主管部门及城市大脑，按测点与分辨率申请',
    tags: ['工业大数据', '钢铁', '时序', '能耗'],
  });
  await catalog.publish(officer, set.code);
  const brain = await callerOf('zy-brain');
  const energy = Object.keys(tokens).map((d) => `${d}.energy`);
  const request = await share.share.submit(brain, {
    dataset: set.code,
    columns: energy,
    purpose: '城市大脑能耗监测：重点企业小时用电量',
    purposeCategory: 'regulation',
    legalBasis: '《辽宁省大数据发展条例》',
    endDate: `${new Date().getUTCFullYear() + 1}-12-31`,
    series: { resolution: '1h' },
  });
  await share.share.approve(officer, request.id, {
    columns: energy.map((name) => ({ name, mode: 'clear' as const })),
    series: { resolution: '1h' },
    requestsPerMinute: 120,
    note: '同意城市大脑按小时读取能耗汇总',
  });
  fs.writeFileSync(path.join(options.dataDir, FILE), JSON.stringify({ enterprise: DEMO_ENTERPRISE, tokens }), { mode: 0o600 });
  options.log?.(`  ${set.code}  朝阳钢铁生产线实时测点  ${Object.keys(tokens).length} devices × ${POINTS.length} points`);
}

/**
 * The simulated gateway: one MQTT connection per device, one JSON message a second with its ten
 * points (more instants in one message when it fell behind), QoS 1. Faults: BF1-D03's thermometer is stuck; BOF2-D07 falls silent 20 s in every 2
 * minutes; HSM3-D12's vibration spikes now and then; BOF2-D15 runs over its temperature range.
 */
export async function startDemoSimulation(options: { dataDir: string; port: number; host: string; tls: boolean; intervalMs?: number; historyMs?: number }) {
  const mqtt = await loadMqtt();
  const { enterprise, tokens } = JSON.parse(fs.readFileSync(path.join(options.dataDir, FILE), 'utf8')) as {
    enterprise: string;
    tokens: Record<string, string>;
  };
  const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const clients = Object.entries(tokens).map(([device, token]) => ({
    device,
    client: mqtt.connect({
      host,
      port: options.port,
      protocol: options.tls ? 'mqtts' : 'mqtt',
      // The demo's own certificate is usually self-signed.
      rejectUnauthorized: false,
      username: `${enterprise}/${device}`,
      password: token,
      clientId: `sim-${device}`,
      reconnectPeriod: 2000,
    }),
  }));
  for (const c of clients) c.client.on('error', () => {});
  const energy = new Map<string, number>();
  const step = options.intervalMs ?? 1000;
  // Samples sit on a fixed grid of instants, like a gateway's scan cycle: when the process is busy
  // and a timer fires late, the instants it missed are sent together (late, not lost). A plant that
  // starts with `historyMs` of history sends those instants the same way at its first tick.
  let next = Math.ceil((Date.now() - (options.historyMs ?? 0)) / step) * step;
  const timer = setInterval(() => {
    const due: { tick: number; ts: number }[] = [];
    for (; next <= Date.now(); next += step) due.push({ tick: Math.round(next / step), ts: next });
    if (!due.length) return;
    for (const { device, client } of clients) {
      if (!client.connected) continue;
      const seed = device.split('').reduce((a, c) => a + c.charCodeAt(0), 0);
      const batch: { ts: number; values: Record<string, number | boolean> }[] = [];
      for (const { tick, ts } of due) {
        // BOF2-D07 falls silent for 20 s in every 2 minutes.
        if (device === 'BOF2-D07' && tick % 120 >= 100) continue;
        const values: Record<string, number | boolean> = {};
        for (const [code, , , , , , typical, noise] of POINTS) {
          const wave = Math.sin((tick + seed) / 30) * noise;
          values[code] = Math.round((typical + wave + (Math.random() - 0.5) * noise) * 100) / 100;
        }
        const kwh = (energy.get(device) ?? 6 * 3200) + Number(values.power) / 3600;
        energy.set(device, kwh);
        // The energy meter is read once a minute.
        if (tick % 60 === 0) values.energy = Math.round(kwh * 1000) / 1000;
        else delete values.energy;
        values.running = true;
        if (device === 'BF1-D03') values.temp = 1180;
        if (device === 'HSM3-D12' && tick % 90 === 45) values.vibration = 42;
        if (device === 'BOF2-D15' && tick % 60 < 5) values.temp = 1650;
        batch.push({ ts, values });
      }
      if (batch.length) client.publish(`plant/${enterprise}/${device}/telemetry`, JSON.stringify(batch.length === 1 ? batch[0] : batch), { qos: 1 });
    }
  }, step);
  timer.unref();
  return {
    async stop(): Promise<void> {
      clearInterval(timer);
      await Promise.all(clients.map((c) => new Promise<void>((resolve) => c.client.end(true, {}, () => resolve()))));
    },
  };
}
