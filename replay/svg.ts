// A picture of one container's true usage with each strategy's request (dashed) and limit (solid) over time.
// Memory is drawn when the trace has it, else CPU.

import type { Timeline } from "./harness.ts";

const WIDTH = 1000;
const HEIGHT = 360;
const PAD = { left: 70, right: 160, top: 30, bottom: 40 };
const MAX_POINTS = 1500;
const COLOURS = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

export interface StrategyTimeline {
  strategy: string;
  timeline: Timeline;
}

function polyline(values: ArrayLike<number>, x: (i: number) => number, y: (v: number) => number): string {
  const stride = Math.max(1, Math.ceil(values.length / MAX_POINTS));
  const points: string[] = [];
  for (let i = 0; i < values.length; i += stride) {
    // Keep the maximum of each stride so short peaks (and OOM crossings) stay visible.
    let v = Number.NaN;
    for (let j = i; j < Math.min(values.length, i + stride); j++) if (!(values[j]! <= v)) v = values[j]!;
    if (!Number.isNaN(v)) points.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  }
  return points.join(" ");
}

const escapeXml = (s: string) => s.replace(/[<>&"]/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function renderTimelineSvg(lines: StrategyTimeline[]): string {
  const first = lines[0]?.timeline;
  if (!first) throw new Error("renderTimelineSvg needs at least one strategy timeline");
  const isMemory = first.memoryUsage !== undefined;
  const usage = (isMemory ? first.memoryUsage : first.cpuUsage)!;
  const unit = isMemory ? 1024 ** 3 : 1;
  const unitName = isMemory ? "GiB" : "cores";
  const series = lines.map(({ strategy, timeline }) => ({
    strategy,
    limit: isMemory ? timeline.memoryLimit : timeline.cpuLimit,
    request: isMemory ? timeline.memoryRequest : timeline.cpuRequest,
  }));
  let max = 0;
  for (const values of [usage, ...series.flatMap((s) => [s.limit, s.request])]) {
    for (const v of values) if (v > max) max = v;
  }
  max = max > 0 ? max * 1.05 : 1;
  const n = usage.length;
  const x = (i: number) => PAD.left + (i / Math.max(1, n - 1)) * (WIDTH - PAD.left - PAD.right);
  const y = (v: number) => HEIGHT - PAD.bottom - (v / max) * (HEIGHT - PAD.top - PAD.bottom);
  const days = (n * first.step) / 86400;
  const caption = escapeXml(
    `${first.container}: ${isMemory ? "memory" : "CPU"} usage (grey), request (dashed), limit (solid) over ${days.toFixed(1)} days`,
  );
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    // The title is what screen readers and tooltips show.
    `<title>${caption} of ${escapeXml(lines.map((l) => l.strategy).join(", "))}</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${PAD.left}" y="18">${caption}</text>`,
    `<line x1="${PAD.left}" y1="${y(0)}" x2="${WIDTH - PAD.right}" y2="${y(0)}" stroke="black"/>`,
    `<line x1="${PAD.left}" y1="${y(0)}" x2="${PAD.left}" y2="${PAD.top}" stroke="black"/>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    parts.push(`<text x="${PAD.left - 6}" y="${y(v) + 4}" text-anchor="end">${(v / unit).toFixed(2)}</text>`);
  }
  parts.push(`<text x="${PAD.left - 60}" y="${PAD.top - 8}">${unitName}</text>`);
  parts.push(
    `<text x="${WIDTH - PAD.right}" y="${HEIGHT - 12}" text-anchor="end">${days.toFixed(1)} d</text>`,
  );
  parts.push(`<polyline fill="none" stroke="#999" stroke-width="1" points="${polyline(usage, x, y)}"/>`);
  series.forEach((s, k) => {
    const colour = COLOURS[k % COLOURS.length]!;
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="1.5" points="${polyline(s.limit, x, y)}"/>`,
    );
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="1" stroke-dasharray="4 3" points="${polyline(s.request, x, y)}"/>`,
    );
    const ly = PAD.top + 16 * k;
    parts.push(
      `<line x1="${WIDTH - PAD.right + 10}" y1="${ly}" x2="${WIDTH - PAD.right + 30}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`,
    );
    parts.push(`<text x="${WIDTH - PAD.right + 36}" y="${ly + 4}">${escapeXml(s.strategy)}</text>`);
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}
