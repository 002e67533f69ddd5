/**
 * Person names in free text, with or without a label word ("申请人：王小明", "村民冯秀云反映",
 * "此事由秦明辉负责跟进", "李建国、张秀英等3人").
 *
 * Every surname of the shipped list starts candidates of 2-3 characters (3-4 with a compound surname).
 * A candidate is scored from:
 *   - the surname: a frequent one, a rare one (原, 于 as surnames need more evidence), a compound one;
 *   - its given-name characters (data/given-names.ts): common, other, or not a name character at all
 *     (then the candidate is dropped: "户主原身份证号" gives no 原身份);
 *   - the context before it: a label (信访人, 联系人), a role word (村民, 其丈夫), a function word
 *     (由, 与, 经, 请), an enumeration comma, the start of a line or a punctuation mark;
 *   - the context after it: a verb of speech or action (反映, 称, 负责), punctuation, 、 等 同志 先生,
 *     or a particle (的, 持, 于); a place or organisation suffix (市, 路, 公司) rules it out;
 *   - the dictionary of the segmenter (segmenter.ts): a candidate that is an ordinary word (高度, 周边,
 *     安全), whose surname starts or ends an ordinary word, or that cuts a word in two, loses; a word
 *     the dictionary tags as a person name gains.
 * The best-scoring length at a position is kept when it reaches the threshold (higher for 2-character
 * names, which collide with ordinary words more often). Scores and threshold were set on one seed of
 * the generated document corpus (test/corpus/documents.ts) and are reported on another.
 */
import { COMPOUND_SURNAMES, SINGLE_SURNAMES } from '../../lib/data/surnames.ts';
import { FREQUENT_SURNAME_SET, GIVEN_COMMON, GIVEN_OTHER } from './data/given-names.ts';
import { isPlaceName } from '../../lib/divisions.ts';
import { NAME_TAGS, segment, type Word } from './segmenter.ts';

export interface Hit {
  type: 'person_name';
  start: number;
  end: number;
}

const isHan = (c: number) => c >= 0x4e00 && c <= 0x9fff;

/** Words that introduce a name: the name follows, maybe after ：, 为 or 是. */
const LABELS = [
  '姓名',
  '联系人',
  '法定代表人',
  '法人代表',
  '法人',
  '申请人',
  '被申请人',
  '负责人',
  '经办人',
  '承办人',
  '户主',
  '患者',
  '收件人',
  '寄件人',
  '持卡人',
  '当事人',
  '监护人',
  '驾驶人',
  '驾驶员',
  '车主',
  '信访人',
  '来访人',
  '来电人',
  '投诉人',
  '被投诉人',
  '举报人',
  '被举报人',
  '反映人',
  '代理人',
  '委托人',
  '受托人',
  '回访人',
  '记录人',
  '调解员',
  '网格员',
  '证人',
  '业主',
  '房主',
  '签收人',
  '接访人',
  '办理人',
  '报案人',
  '嫌疑人',
  '死者',
  '伤者',
  '原告',
  '被告',
  '第三人',
  '上诉人',
  '被上诉人',
  '申诉人',
  '赔偿义务人',
  '权利人',
  '义务人',
  '出租人',
  '承租人',
  '借款人',
  '出借人',
];
/** Nouns of a role or relation right before a name (村民王小明). */
const ROLES = [
  '村民',
  '居民',
  '市民',
  '群众',
  '业主',
  '租户',
  '老人',
  '职工',
  '员工',
  '工人',
  '农民',
  '农民工',
  '个体户',
  '民警',
  '辅警',
  '律师',
  '医生',
  '护士',
  '教师',
  '老师',
  '学生',
  '家长',
  '同学',
  '同事',
  '朋友',
  '邻居',
  '亲属',
  '亲戚',
  '丈夫',
  '妻子',
  '老伴',
  '儿子',
  '女儿',
  '儿媳',
  '女婿',
  '母亲',
  '父亲',
  '哥哥',
  '姐姐',
  '弟弟',
  '妹妹',
  '孙子',
  '孙女',
  '之子',
  '之女',
  '之妻',
  '之夫',
  '台胞',
  '港澳居民',
  '外籍',
  '司机',
  '书记',
  '主任',
  '社区主任',
  '村支书',
  '村主任',
  '队长',
  '组长',
  '站长',
  '所长',
  '院长',
  '局长',
  '科长',
  '处长',
  '镇长',
  '乡长',
  '县长',
  '市长',
  '副主任',
  '工作人员',
  '志愿者',
  '快递员',
  '保安',
  '物业',
  '楼长',
  '户',
  '其',
];
/** Function words and verbs that take a person as object right before a name (由王某负责, 请王某补充). */
const FUNCTION_BEFORE = [
  '由',
  '与',
  '和',
  '及',
  '同',
  '向',
  '对',
  '被',
  '将',
  '请',
  '让',
  '经',
  '据',
  '把',
  '给',
  '为',
  '帮',
  '找',
  '叫',
  '派',
  '令',
  '告知',
  '通知',
  '联系',
  '陪同',
  '委托',
  '会同',
  '协助',
  '督促',
  '安排',
  '约谈',
  '走访',
  '询问',
  '批评',
  '表扬',
  '转告',
  '交由',
  '指派',
  '邀请',
  '看望',
  '慰问',
  '是',
  '系',
];
/** Verbs of speech and action right after a name. */
const VERBS_AFTER = [
  '反映',
  '称',
  '说',
  '表示',
  '来访',
  '来电',
  '诉称',
  '要求',
  '投诉',
  '举报',
  '提出',
  '认为',
  '介绍',
  '陈述',
  '声称',
  '承认',
  '交代',
  '供述',
  '回忆',
  '证实',
  '确认',
  '同意',
  '拒绝',
  '签字',
  '签收',
  '到场',
  '到访',
  '负责',
  '牵头',
  '跟进',
  '具体',
  '主动',
  '多次',
  '曾经',
  '先后',
  '当即',
  '随即',
  '现年',
  '今年',
  '答复',
  '回复',
  '咨询',
  '询问',
  '报警',
  '报案',
  '申请',
  '上访',
  '联名',
  '一行',
  '陪同',
  '代为',
  '本人',
  '名下',
  '夫妇',
  '一家',
  '家属',
  '父子',
  '母子',
  '夫妻',
  '兄弟',
  '姐妹',
  '同志',
  '先生',
  '女士',
  '老人',
  '等人',
  '等',
  '驾驶',
  '因',
  '于',
  '在',
  '持',
  '的',
  '系',
  '是',
  '为',
  '已',
  '曾',
  '现',
  '也',
  '都',
  '就',
  '将',
  '被',
  '把',
  '向',
  '对',
  '从',
  '到',
  '去',
  '来',
  '和',
  '与',
  '及',
  '同',
  '跟',
  '给',
  '让',
  '所',
  '家',
  '又',
  '还',
  '便',
  '才',
  '却',
  '则',
  '即',
];
/** After a name: strong cues (speech and action verbs, and the forms of address). */
const STRONG_AFTER = new Set([
  '反映',
  '称',
  '说',
  '表示',
  '来访',
  '来电',
  '诉称',
  '要求',
  '投诉',
  '举报',
  '提出',
  '认为',
  '介绍',
  '陈述',
  '声称',
  '承认',
  '交代',
  '供述',
  '证实',
  '确认',
  '同意',
  '拒绝',
  '签字',
  '签收',
  '到场',
  '到访',
  '负责',
  '牵头',
  '跟进',
  '答复',
  '回复',
  '咨询',
  '报警',
  '报案',
  '申请',
  '上访',
  '联名',
  '同志',
  '先生',
  '女士',
  '等人',
  '等',
  '夫妇',
  '本人',
  '名下',
  '一家',
  '家属',
  '现年',
  '今年',
  '一行',
  '陪同',
  '代为',
]);
/** After these the candidate is a place or an organisation (李宁公司, 张自忠路, 黄山市). */
const NOT_A_PERSON_AFTER =
  /^(?:市|区|县|省|镇|乡|村|屯|庄|路|街|道|巷|弄|里|胡同|大街|大道|广场|小区|花园|大厦|公司|集团|银行|医院|学校|大学|中学|小学|幼儿园|酒店|宾馆|饭店|餐厅|商店|超市|店|厂|矿|场|站|港|桥|湖|河|江|山|寺|庙|局|厅|委|办|处|科|所|院|馆|部|队|中心|有限|股份|牌|号|楼|栋|幢|单元|室|氏|某|家族|体|式|型|派|系列)/;

function longestPrefix(words: readonly string[]): (text: string, at: number) => string | null {
  const byFirst = new Map<string, string[]>();
  for (const w of words) {
    const list = byFirst.get(w[0]!) ?? [];
    list.push(w);
    byFirst.set(w[0]!, list);
  }
  for (const list of byFirst.values()) list.sort((a, b) => b.length - a.length);
  return (text, at) => {
    for (const w of byFirst.get(text[at] ?? '') ?? []) if (text.startsWith(w, at)) return w;
    return null;
  };
}

/** Longest word of `words` ending right before `at`. */
function longestSuffix(words: readonly string[]): (text: string, at: number) => string | null {
  const byLast = new Map<string, string[]>();
  for (const w of words) {
    const list = byLast.get(w[w.length - 1]!) ?? [];
    list.push(w);
    byLast.set(w[w.length - 1]!, list);
  }
  for (const list of byLast.values()) list.sort((a, b) => b.length - a.length);
  return (text, at) => {
    for (const w of byLast.get(text[at - 1] ?? '') ?? []) if (at >= w.length && text.startsWith(w, at - w.length)) return w;
    return null;
  };
}

const labelBefore = longestSuffix(LABELS);
const roleBefore = longestSuffix(ROLES);
const functionBefore = longestSuffix(FUNCTION_BEFORE);
const verbAfter = longestPrefix(VERBS_AFTER);

/** Punctuation and separators that bound a name. */
function isBoundary(c: number): boolean {
  return !isHan(c);
}

/** The scores (see the module comment). */
const W = {
  frequentSurname: 1,
  rareSurname: -0.8,
  compoundSurname: 1.5,
  givenCommon: 1.2,
  givenOther: 0.2,
  givenUnknown: -0.6,
  label: 3.5,
  role: 2.2,
  enumeration: 1.6,
  functionWord: 1.1,
  boundaryBefore: 1.4,
  hanBefore: 0,
  hanAfter: -0.4,
  verbWordAfter: 1.3,
  strongAfter: 2,
  weakAfter: 0.9,
  boundaryAfter: 1.5,
  dictName: 1,
  dictWord: -4,
  surnameInWord: -3.5,
  cutsWord: -1.6,
  wordInName: -1.5,
  afterWord: 0.8,
  threshold3: 4.6,
  threshold2: 4.5,
};

interface Run {
  text: string;
  /** Offset of the run in the buffer. */
  at: number;
  words?: Word[];
}

function words(run: Run): Word[] {
  return (run.words ??= segment(run.text));
}

/** Context score before a candidate starting at buffer position `s`. */
function beforeScore(buffer: string, s: number): number {
  if (s === 0) return W.boundaryBefore;
  const prev = buffer.charCodeAt(s - 1);
  if (labelBefore(buffer, s)) return W.label;
  if (prev === 0xff1a || prev === 58 || prev === 0x4e3a) {
    // 姓名：王小明, 联系人为王小明
    const label = labelBefore(buffer, s - 1);
    if (label) return W.label;
  }
  if (prev === 0x3001) return W.enumeration; // 、
  if (roleBefore(buffer, s)) return W.role;
  if (functionBefore(buffer, s)) return W.functionWord;
  return isBoundary(prev) ? W.boundaryBefore : W.hanBefore;
}

/** Context score after a candidate ending at `e`; null when what follows makes it a place or organisation. */
function afterScore(buffer: string, e: number): number | null {
  if (e >= buffer.length) return W.boundaryAfter;
  const next = buffer.charCodeAt(e);
  if (!isHan(next)) return next === 0x3001 ? W.strongAfter : W.boundaryAfter;
  if (NOT_A_PERSON_AFTER.test(buffer.slice(e, e + 4))) return null;
  if (TITLE_AFTER.test(buffer.slice(e - 1, e + 3))) return null;
  const verb = verbAfter(buffer, e);
  if (verb) return STRONG_AFTER.has(verb) ? W.strongAfter : W.weakAfter;
  return W.hanAfter;
}

/** Forms of address after a bare surname (李师傅, 张主任, 王经理) or a name's first character: no name. */
const TITLE_AFTER =
  /^.(?:师傅|经理|主任|老师|书记|局长|科长|处长|所长|队长|院长|厂长|校长|部长|医生|大夫|律师|警官|阿姨|大爷|大妈|大姐|大哥|老板|总|工|会计|某|氏|家族|姓)/;
/** Words that begin with a surname character and are titles or roles themselves (司机师傅, 老师). */
const TITLE_AT = /^(?:师傅|师父|师兄|师姐|师生|老师|老板|老乡|老伴)/;

/** Dictionary evidence for the candidate [s, e) inside `run` (buffer offsets). */
function dictionaryScore(run: Run, s: number, e: number, surnameLength: number, afterIsOther: boolean, unknownGiven: boolean, startKnown: boolean): number {
  const ws = words(run);
  const a = s - run.at;
  const b = e - run.at;
  let score = 0;
  // what follows is a verb, preposition or particle of the dictionary (何平|提供, 钱俊|生于)
  if (afterIsOther) {
    const next = ws.find((w) => w.start === b);
    if (next && /^(?:v|p|c|d|u|f)/.test(next.tag) && !NAME_TAGS.has(next.tag)) score += W.verbWordAfter;
  }
  // a name after a complete word of two or more characters (已打入|廖雁): the surname starts a new word
  if (a > 0 && ws.some((w) => w.end === a && w.end - w.start >= 2 && !NAME_TAGS.has(w.tag))) score += W.afterWord;
  for (const w of ws) {
    if (w.end <= a || w.start >= b) continue;
    const length = w.end - w.start;
    if (w.start === a && w.end === b) return score + (NAME_TAGS.has(w.tag) ? (unknownGiven ? 0 : W.dictName) : length >= 2 ? W.dictWord : 0);
    if (length < 2) continue;
    const name = NAME_TAGS.has(w.tag);
    if (w.start < a) {
      // the surname ends a word that starts before it (常年 …), unless a label or role word ends right there (来电人|武通智)
      if (!name && !startKnown) score += W.surnameInWord;
    } else if (w.start === a && w.end !== b) {
      // the surname starts an ordinary word: 高度, 安全 (a compound surname is itself a word: 欧阳)
      if (!name && !(surnameLength === 2 && length === 2)) score += w.end < b ? W.wordInName : W.surnameInWord;
    } else if (w.end > b) {
      // the name would cut a word in two: 张华|明确
      score += name ? 0 : W.cutsWord;
    } else if (!name) {
      // an ordinary word inside the given name (王建国 is in the dictionary as a whole; 建国 alone is a word)
      score += 0;
    }
  }
  return score;
}

/** Characters of grammar and of the commonest words: never part of a given name (户主原|身份, 王某). */
const NEVER_GIVEN = new Set(
  Array.from(
    '的了在是和与及或等于说称把被向对从到去来也都就又还便才却则即持名下里中上内外时年月日号某其该此这那之所以而且但并已曾将要会能可应须得着过们' +
      '个位些每各另共总约余多少几不没无非未请让给为因由经据按照关于对于通过根据进行工作问题情况部门单位相关有关人员工作身份证件件份款项元米次条',
  ),
);

function givenScore(ch: string): number | null {
  if (GIVEN_COMMON.has(ch)) return W.givenCommon;
  if (GIVEN_OTHER.has(ch)) return W.givenOther;
  return NEVER_GIVEN.has(ch) ? null : W.givenUnknown;
}

/**
 * Finds names in the Han runs that start at or after `from` (buffer offsets); pushes hits to `out`.
 * The runs are read whole, so the caller's window must hold the context around them.
 */
export function nameHits(buffer: string, from: number, out: Hit[]): void {
  let i = from;
  // start at the beginning of the run that contains `from`
  while (i > 0 && isHan(buffer.charCodeAt(i - 1)) && from - i < 16) i--;
  const n = buffer.length;
  while (i < n) {
    if (!isHan(buffer.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && isHan(buffer.charCodeAt(j))) j++;
    if (j - i >= 2) runHits(buffer, { text: buffer.slice(i, j), at: i }, out);
    i = j;
  }
}

function runHits(buffer: string, run: Run, out: Hit[]): void {
  const end = run.at + run.text.length;
  let k = run.at;
  while (k < end - 1) {
    const best = bestAt(buffer, run, k, end);
    if (best) {
      out.push({ type: 'person_name', start: k, end: best });
      k = best;
    } else k++;
  }
}

let debug: ((candidate: string, parts: Record<string, number>) => void) | undefined;
/** Development aid: reports every scored candidate (tuning on the corpus). */
export function debugNames(fn: typeof debug): void {
  debug = fn;
}

/** The end of the best name starting at `s`, or 0. */
function bestAt(buffer: string, run: Run, s: number, runEnd: number): number {
  const first = buffer[s]!;
  const compound = s + 2 < runEnd && COMPOUND_SURNAMES.has(buffer.slice(s, s + 2));
  if (!compound && !SINGLE_SURNAMES.has(first)) return 0;
  if (TITLE_AT.test(buffer.slice(s, s + 2))) return 0;
  const surnameLength = compound ? 2 : 1;
  const surname = compound ? W.compoundSurname : FREQUENT_SURNAME_SET.has(first) ? W.frequentSurname : W.rareSurname;
  const before = beforeScore(buffer, s);
  let bestScore = -Infinity;
  let bestEnd = 0;
  let given = 0;
  let unknown = false;
  for (let g = 1; g <= 2; g++) {
    const e = s + surnameLength + g;
    if (e > runEnd) break;
    const ch = givenScore(buffer[e - 1]!);
    if (ch === null) break;
    given += ch;
    unknown ||= ch === W.givenUnknown;
    const after = afterScore(buffer, e);
    if (after === null) continue;
    const value = buffer.slice(s, e);
    // 高青 is a county too: a place name is a person only right after a person label
    if (isPlaceName(value) && before !== W.label) continue;
    const base = surname + given + before + after;
    const threshold = surnameLength + g === 2 ? W.threshold2 : W.threshold3;
    // the dictionary can add at most this much: skip the segmenter when even that is not enough
    const most = W.dictName + W.afterWord + (after === W.hanAfter ? W.verbWordAfter : 0);
    if (base + most < threshold) continue;
    const score = base + dictionaryScore(run, s, e, surnameLength, after === W.hanAfter, unknown, before === W.label || before === W.role);
    if (debug) debug(value, { surname, given, before, after, dictionary: score - base, threshold });
    if (score >= threshold && score - threshold > bestScore) {
      bestScore = score - threshold;
      bestEnd = e;
    }
  }
  // a compound surname can also be read as a single one (欧 + 阳娜): the compound reading is tried first
  return bestEnd;
}
