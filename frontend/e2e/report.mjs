#!/usr/bin/env node
// Turns the specs' metrics file into docs/frontend-metrics.json and the figures table of
// docs/frontend.md (between the metrics markers). `npm run metrics` runs the specs, then this.
// The "before" block (measured once on the commit before issue 17) is kept as it is.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = resolve(here, '..', process.env.E2E_METRICS || 'test-results/metrics.json');
const out = resolve(here, '../../docs/frontend-metrics.json');
const doc = resolve(here, '../../docs/frontend.md');

const now = JSON.parse(readFileSync(src, 'utf8'));
const old = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : {};
const all = { before: old.before ?? null, after: now };
writeFileSync(out, JSON.stringify(all, null, 2) + '\n');

const b = all.before ?? {};
const a = now;
const kb = (n) => (n == null ? '–' : `${(n / 1024).toFixed(1)} KB`);
const ms = (n) => (n == null ? '–' : `${(n / 1000).toFixed(2)} s`);
const rows = [
  ['axe-core violations (rules × pages)', b.axe ? `${b.axe.violations} in ${b.axe.scans} scans${b.axe.pages_missing ? ` (+${b.axe.pages_missing} pages missing)` : ''}` : '–', a.axe ? `${a.axe.violations} in ${a.axe.scans} scans` : '–'],
  ['CLS, worst page', b.cls ? b.cls.max.toFixed(3) : '–', a.cls ? a.cls.max.toFixed(4) : '–'],
  ['First post, throttled phone (median)', ms(b.first_post_throttled?.median_ms), ms(a.first_post_throttled?.median_ms)],
  ['JS on the wire, first load', kb(b.js_first_load?.bytes_on_wire), kb(a.js_first_load?.bytes_on_wire)],
  ['JS Content-Encoding / Cache-Control', `${b.serving?.js_content_encoding ?? 'none'} / ${b.serving?.js_cache_control ?? 'none'}`, `${a.serving?.js_content_encoding ?? 'none'} / ${a.serving?.js_cache_control ?? 'none'}`],
  ['Idle reader: requests per minute (5 s poll)', b.idle_polling?.requests_per_min_at_5s ?? '–', a.idle_polling?.requests_per_min_at_5s ?? '–'],
  ['Idle reader: bytes per minute (5 s poll)', kb(b.idle_polling?.bytes_per_min_at_5s), kb(a.idle_polling?.bytes_per_min_at_5s)],
];
const table = [
  `Measured ${a.measured_at ?? '?'} by \`npm run metrics\` (raw: [frontend-metrics.json](frontend-metrics.json)).`,
  '',
  '| Figure | Before (main, 5316ecd) | Now |',
  '| --- | --- | --- |',
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
const text = readFileSync(doc, 'utf8');
const start = '<!-- metrics:start -->';
const end = '<!-- metrics:end -->';
if (!text.includes(start)) throw new Error(`docs/frontend.md lacks ${start}`);
writeFileSync(doc, text.replace(new RegExp(`${start}[\\s\\S]*?${end}`), `${start}\n${table}\n${end}`));
console.log(table);
