/**
 * The Chinese word segmenter behind name finding in free text: jieba (the `@node-rs/jieba` binding of
 * jieba-rs, with its bundled dictionary of ~350,000 words and their part-of-speech tags).
 *
 * Used without its HMM: we want the dictionary's words (高度/d, 身份证号/n, 周边/n, 李建国/nr) to tell
 * whether a surname character starts a name or is part of an ordinary word; unknown words (most
 * names) come out as single characters, which the name scorer judges from its own statistics.
 * The dictionary is loaded once, on first use (~0.5 s, ~40 MB).
 */
import { createRequire } from 'node:module';

interface JiebaInstance {
  tag(sentence: string, hmm?: boolean | null): { tag: string; word: string }[];
}

let instance: JiebaInstance | undefined;

function jieba(): JiebaInstance {
  if (!instance) {
    const require = createRequire(import.meta.url);
    const { Jieba } = require('@node-rs/jieba') as { Jieba: { withDict(dict: Uint8Array): JiebaInstance } };
    const { dict } = require('@node-rs/jieba/dict') as { dict: Uint8Array };
    instance = Jieba.withDict(dict);
  }
  return instance;
}

/** One dictionary word of a run: UTF-16 offsets within the run, and its part-of-speech tag. */
export interface Word {
  start: number;
  end: number;
  tag: string;
}

/** Tags that mark a person name in jieba's dictionary. */
export const NAME_TAGS: ReadonlySet<string> = new Set(['nr', 'nrfg', 'nrt']);

/** Segments a run of Han characters into dictionary words (single characters where no word applies). */
export function segment(run: string): Word[] {
  const out: Word[] = [];
  let at = 0;
  for (const w of jieba().tag(run, false)) {
    out.push({ start: at, end: at + w.word.length, tag: w.tag });
    at += w.word.length;
  }
  return out;
}
