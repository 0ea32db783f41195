// The UI's English phrases that have a different Czech text, read from the message catalogues
// (ui/src/**/messages.ts), so the Czech walk can tell a leftover English string from data.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";

const SRC = path.resolve(import.meta.dirname, "../src");

function messageFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return messageFiles(full);
    return entry.name === "messages.ts" ? [full] : [];
  });
}

/** `{key: text}` of the object literal that follows `const <name>` (one entry per line, as written). */
function objectAfter(source, name) {
  const start = source.search(new RegExp(`const ${name}\\b[^=]*=\\s*\\{`));
  if (start < 0) return {};
  const end = source.indexOf("\n}", start);
  const body = source.slice(start, end);
  const entries = {};
  const line = /^\s*(?:"([^"]+)"|([\w.]+))\s*:\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*,?\s*$/gm;
  for (const m of body.matchAll(line)) entries[m[1] ?? m[2]] = JSON.parse(`"${(m[3] ?? m[4]).replace(/"/g, '\\"').replace(/\\'/g, "'")}"`);
  return entries;
}

/** English fragments (text between `{placeholders}`) that no Czech message contains. */
export function englishOnlyPhrases() {
  const en = [];
  const cs = [];
  for (const file of messageFiles(SRC)) {
    const source = readFileSync(file, "utf8");
    const english = objectAfter(source, "en");
    const czech = objectAfter(source, "cs");
    for (const [key, text] of Object.entries(english)) {
      if (czech[key] !== undefined && czech[key] !== text) en.push(text);
    }
    cs.push(...Object.values(czech));
  }
  if (en.length < 100) throw new Error(`only ${en.length} English messages found under ${SRC}: the catalogue parser is broken`);
  const czechText = cs.join("\n");
  const phrases = new Set();
  for (const text of en) {
    for (const fragment of text.split(/\{\w+\}/)) {
      const phrase = fragment.replace(/[\s.:,;–—…()%/+-]+$/u, "").replace(/^[\s.:,;–—…()%/+-]+/u, "").trim();
      // single short words ("model", "ok") are too often data or shared with Czech
      if (phrase.length < 6 || !/[a-z]/i.test(phrase)) continue;
      if (!/\s/.test(phrase) && phrase.length < 8) continue;
      if (czechText.includes(phrase)) continue;
      phrases.add(phrase);
    }
  }
  return [...phrases];
}

// Words that put a sentence in English; a line with two of them is English prose.
const ENGLISH_WORDS = /\b(the|is|are|was|and|with|not|no|of|to|yet|has|have|been|from|this|that|every|could|ago|last|none|never|runs?|failed|running|waiting)\b/gi;

/** Lines of visible text that read as English prose (two or more English function words). */
export function englishProse(lines) {
  return lines.filter((line) => (line.match(ENGLISH_WORDS) ?? []).length >= 2);
}
