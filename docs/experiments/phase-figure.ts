/**
 * Draws a phase-transition grid (the JSON `sparseland phase --out` writes) as an SVG figure: success rate
 * against ‖Γ‖s0,∞ per pursuit, one panel per noise level, with the theorems' limits ½(1 + 1/μ) and
 * ⅓(1 + 1/μ) drawn on the same axis.
 *
 *   npx tsx docs/experiments/phase-figure.ts grid.json figure.svg ["title"]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { PhaseResult } from '../../src-shared/contract';

const [input, output, title] = process.argv.slice(2);
if (!input || !output) {
  console.error('usage: phase-figure.ts grid.json figure.svg ["title"]');
  process.exit(2);
}
const r = PhaseResult.parse(JSON.parse(readFileSync(input, 'utf8')));

const COLORS: Record<string, string> = { omp: '#1f77b4', bp: '#d62728', 'layered-thr': '#2ca02c', 'layered-bp': '#9467bd', 'ml-fista': '#ff7f0e' };
const panelW = 520;
const panelH = 300;
const margin = { left: 56, right: 150, top: 48, bottom: 46 };
const width = margin.left + panelW + margin.right;
const height = r.noise.length * (panelH + margin.top + margin.bottom);
const xMin = Math.min(...r.sparsities);
const xMax = Math.max(...r.sparsities, Math.ceil(r.bounds.success));
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

const parts: string[] = [];
parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
parts.push(`<rect width="100%" height="100%" fill="white"/>`);
r.noise.forEach((level, n) => {
  const top = n * (panelH + margin.top + margin.bottom) + margin.top;
  const x = (v: number) => margin.left + ((v - xMin) / Math.max(1, xMax - xMin)) * panelW;
  const y = (v: number) => top + (1 - v) * panelH;
  const heading = `${title ?? 'Phase transition'} — ${level === 0 ? 'noiseless' : `noise ${r.noiseKind} ${level}`}, ${r.trials} trials per point`;
  parts.push(`<text x="${margin.left}" y="${top - 26}" font-size="14" font-weight="bold">${esc(heading)}</text>`);
  parts.push(`<text x="${margin.left}" y="${top - 10}" fill="#444">μ = ${r.mu.map((m) => m.toFixed(3)).join(', ')} (Welch bound ${r.welch.map((w) => w.toFixed(3)).join(', ')})</text>`);
  parts.push(`<rect x="${margin.left}" y="${top}" width="${panelW}" height="${panelH}" fill="none" stroke="#888"/>`);
  for (let t = 0; t <= 4; t++) {
    const v = t / 4;
    parts.push(`<line x1="${margin.left}" x2="${margin.left + panelW}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${margin.left - 8}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(2)}</text>`);
  }
  for (const s of r.sparsities) parts.push(`<text x="${x(s)}" y="${top + panelH + 16}" text-anchor="middle">${s}</text>`);
  parts.push(`<text x="${margin.left + panelW / 2}" y="${top + panelH + 36}" text-anchor="middle">‖Γ‖s0,∞ (local sparsity of the true code)</text>`);
  parts.push(`<text transform="translate(${margin.left - 40},${top + panelH / 2}) rotate(-90)" text-anchor="middle">success rate (support recovered)</text>`);
  for (const [bound, label, dash] of [
    [r.bounds.success, '½(1+1/μ): OMP/BP guarantee', '6,4'],
    [r.bounds.bp, '⅓(1+1/μ): noisy BP guarantee', '2,3'],
  ] as const) {
    if (bound < xMin || bound > xMax) continue;
    parts.push(`<line x1="${x(bound)}" x2="${x(bound)}" y1="${top}" y2="${top + panelH}" stroke="#333" stroke-dasharray="${dash}"/>`);
    parts.push(`<text x="${x(bound) + 4}" y="${top + (dash === '6,4' ? 14 : 30)}" fill="#333">${label} = ${bound.toFixed(2)}</text>`);
  }
  r.pursuits.forEach((p, i) => {
    const color = COLORS[p] ?? '#000';
    const points = r.sparsities.map((s, k) => [s, r.success[i]![n]![k]] as const).filter((pt): pt is readonly [number, number] => pt[1] !== null);
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map(([s, v]) => `${x(s).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`);
    for (const [s, v] of points) parts.push(`<circle cx="${x(s).toFixed(1)}" cy="${y(v).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly = top + 16 + i * 20;
    parts.push(`<line x1="${margin.left + panelW + 14}" x2="${margin.left + panelW + 38}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"/>`);
    parts.push(`<text x="${margin.left + panelW + 44}" y="${ly}">${esc(p)}</text>`);
  });
});
parts.push('</svg>');
writeFileSync(output, `${parts.join('\n')}\n`);
console.log(`wrote ${output}`);
