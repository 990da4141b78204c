import type { Label } from "@nanobanana/domain";
import type { Palette } from "./random.ts";

/** Everything a scene needs; each returns SVG elements for a w×h canvas. */
export interface SceneContext {
  w: number;
  h: number;
  random: () => number;
  palette: Palette;
  label: Label;
}

const between = (random: () => number, lo: number, hi: number) => lo + random() * (hi - lo);
const f = (n: number) => n.toFixed(1);

function gradient(id: string, stops: string[], vertical = true): string {
  const coords = vertical ? 'x1="0" y1="0" x2="0" y2="1"' : 'x1="0" y1="0" x2="1" y2="1"';
  const s = stops.map(
    (c, i) => `<stop offset="${i / Math.max(1, stops.length - 1)}" stop-color="${c}"/>`,
  );
  return `<linearGradient id="${id}" ${coords}>${s.join("")}</linearGradient>`;
}

function radial(id: string, inner: string, outer: string): string {
  return `<radialGradient id="${id}" cx="0.4" cy="0.35" r="0.75"><stop offset="0" stop-color="${inner}"/><stop offset="1" stop-color="${outer}"/></radialGradient>`;
}

/** A ridge line across the canvas: used for mountains, hills and waves. */
function ridge(ctx: SceneContext, baseY: number, amplitude: number, steps: number): string {
  const { w, h, random } = ctx;
  const points = [`0,${f(h)}`];
  for (let i = 0; i <= steps; i++) {
    const x = (w * i) / steps;
    const y = baseY - random() * amplitude;
    points.push(`${f(x)},${f(y)}`);
  }
  points.push(`${f(w)},${f(h)}`);
  return points.join(" ");
}

function landscape(ctx: SceneContext): string {
  const { w, h, random, palette: p } = ctx;
  const horizon = h * between(random, 0.55, 0.68);
  const sunX = w * between(random, 0.2, 0.8);
  const layers = [0, 1, 2]
    .map((i) => {
      const base = horizon + i * h * 0.07;
      const amp = h * (0.28 - i * 0.08);
      return `<polygon points="${ridge(ctx, base, amp, 6 + i * 3)}" fill="${p.hsl(180 + i * 10, 25 + i * 5, 28 - i * 7)}"/>`;
    })
    .join("");
  return `<defs>${gradient("sky", [p.hsl(200, 60, 62), p.hsl(30, 80, 78), p.hsl(20, 90, 70)])}</defs>
<rect width="${w}" height="${h}" fill="url(#sky)"/>
<circle cx="${f(sunX)}" cy="${f(horizon - h * 0.12)}" r="${f(h * 0.07)}" fill="${p.hsl(45, 100, 88)}"/>
${layers}
<rect y="${f(horizon + h * 0.2)}" width="${w}" height="${f(h)}" fill="${p.hsl(190, 30, 14)}"/>`;
}

function portrait(ctx: SceneContext): string {
  const { w, h, palette: p, random } = ctx;
  const cx = w * between(random, 0.42, 0.58);
  const headR = Math.min(w, h) * 0.15;
  const headY = h * 0.4;
  return `<defs>${radial("bg", p.hsl(20, 30, 70), p.hsl(200, 25, 25))}</defs>
<rect width="${w}" height="${h}" fill="url(#bg)"/>
<path d="M${f(cx - headR * 2.6)} ${f(h)} C ${f(cx - headR * 2.4)} ${f(headY + headR * 1.6)}, ${f(cx + headR * 2.4)} ${f(headY + headR * 1.6)}, ${f(cx + headR * 2.6)} ${f(h)} Z" fill="${p.hsl(210, 35, 22)}"/>
<rect x="${f(cx - headR * 0.35)}" y="${f(headY + headR * 0.7)}" width="${f(headR * 0.7)}" height="${f(headR * 0.9)}" fill="${p.hsl(25, 45, 58)}"/>
<ellipse cx="${f(cx)}" cy="${f(headY)}" rx="${f(headR * 0.82)}" ry="${f(headR)}" fill="${p.hsl(25, 50, 66)}"/>
<path d="M${f(cx - headR * 0.85)} ${f(headY - headR * 0.1)} C ${f(cx - headR)} ${f(headY - headR * 1.5)}, ${f(cx + headR)} ${f(headY - headR * 1.5)}, ${f(cx + headR * 0.85)} ${f(headY - headR * 0.1)} Z" fill="${p.hsl(20, 40, 20)}"/>`;
}

function productObject(ctx: SceneContext, cx: number, baseY: number, size: number): string {
  const { random, palette: p } = ctx;
  const kind = Math.floor(random() * 3);
  const body = p.hsl(0, 55, 50);
  const shade = p.hsl(0, 55, 32);
  const shadow = `<ellipse cx="${f(cx)}" cy="${f(baseY)}" rx="${f(size * 0.55)}" ry="${f(size * 0.08)}" fill="rgba(0,0,0,0.25)"/>`;
  if (kind === 0) {
    // a bottle
    return `${shadow}<defs>${gradient("obj", [shade, body, shade], false)}</defs>
<rect x="${f(cx - size * 0.22)}" y="${f(baseY - size * 1.1)}" width="${f(size * 0.44)}" height="${f(size * 1.1)}" rx="${f(size * 0.08)}" fill="url(#obj)"/>
<rect x="${f(cx - size * 0.08)}" y="${f(baseY - size * 1.35)}" width="${f(size * 0.16)}" height="${f(size * 0.28)}" fill="${shade}"/>
<rect x="${f(cx - size * 0.22)}" y="${f(baseY - size * 0.7)}" width="${f(size * 0.44)}" height="${f(size * 0.25)}" fill="${p.hsl(0, 10, 94)}"/>`;
  }
  if (kind === 1) {
    // a box
    return `${shadow}<polygon points="${f(cx - size * 0.45)},${f(baseY - size * 0.1)} ${f(cx)},${f(baseY)} ${f(cx)},${f(baseY - size * 0.75)} ${f(cx - size * 0.45)},${f(baseY - size * 0.85)}" fill="${body}"/>
<polygon points="${f(cx)},${f(baseY)} ${f(cx + size * 0.45)},${f(baseY - size * 0.1)} ${f(cx + size * 0.45)},${f(baseY - size * 0.85)} ${f(cx)},${f(baseY - size * 0.75)}" fill="${shade}"/>
<polygon points="${f(cx - size * 0.45)},${f(baseY - size * 0.85)} ${f(cx)},${f(baseY - size * 0.75)} ${f(cx + size * 0.45)},${f(baseY - size * 0.85)} ${f(cx)},${f(baseY - size * 0.95)}" fill="${p.hsl(0, 55, 65)}"/>`;
  }
  // headphones-like arc with two cups
  return `${shadow}<path d="M${f(cx - size * 0.45)} ${f(baseY - size * 0.3)} C ${f(cx - size * 0.5)} ${f(baseY - size * 1.3)}, ${f(cx + size * 0.5)} ${f(baseY - size * 1.3)}, ${f(cx + size * 0.45)} ${f(baseY - size * 0.3)}" fill="none" stroke="${shade}" stroke-width="${f(size * 0.08)}"/>
<rect x="${f(cx - size * 0.6)}" y="${f(baseY - size * 0.5)}" width="${f(size * 0.26)}" height="${f(size * 0.45)}" rx="${f(size * 0.1)}" fill="${body}"/>
<rect x="${f(cx + size * 0.34)}" y="${f(baseY - size * 0.5)}" width="${f(size * 0.26)}" height="${f(size * 0.45)}" rx="${f(size * 0.1)}" fill="${body}"/>`;
}

function productScene(ctx: SceneContext): string {
  const { w, h, palette: p, label, random } = ctx;
  const size = Math.min(w, h) * 0.42;
  const baseY = h * 0.72;
  const white = label.subcategory === "ecommerce";
  const backdrop = white
    ? `<rect width="${w}" height="${h}" fill="#ffffff"/>`
    : `<defs>${gradient("sweep", [p.hsl(180, 20, 88), p.hsl(180, 25, 70)])}</defs><rect width="${w}" height="${h}" fill="url(#sweep)"/>`;
  const extras: string[] = [];
  if (label.subcategory === "lifestyle") {
    extras.push(
      `<rect x="${f(w * 0.62)}" y="${f(h * 0.08)}" width="${f(w * 0.3)}" height="${f(h * 0.4)}" fill="${p.hsl(50, 80, 92)}" stroke="${p.hsl(30, 20, 60)}" stroke-width="8"/>`,
      `<rect y="${f(baseY)}" width="${w}" height="${f(h - baseY)}" fill="${p.hsl(30, 35, 45)}"/>`,
    );
  }
  if (label.subcategory === "editorial") {
    for (let i = 0; i < 5; i++) {
      extras.push(
        `<circle cx="${f(between(random, 0.1, 0.9) * w)}" cy="${f(between(random, 0.1, 0.9) * h)}" r="${f(size * between(random, 0.08, 0.16))}" fill="${p.hsl(150 + i * 30, 30, 60, 0.85)}"/>`,
      );
    }
  }
  if (label.subcategory === "advertising") {
    extras.push(
      `<polygon points="0,${f(h * 0.15)} ${w},0 ${w},${f(h * 0.22)} 0,${f(h * 0.37)}" fill="${p.hsl(180, 80, 50, 0.8)}"/>`,
      `<rect x="${f(w * 0.08)}" y="${f(h * 0.06)}" width="${f(w * 0.5)}" height="${f(h * 0.05)}" fill="#ffffff"/>`,
    );
  }
  return `${backdrop}${extras.join("")}${productObject(ctx, w / 2, baseY, size)}`;
}

function macro(ctx: SceneContext): string {
  const { w, h, random, palette: p } = ctx;
  const bokeh = Array.from({ length: 14 }, (_, i) => {
    const r = Math.min(w, h) * between(random, 0.04, 0.14);
    return `<circle cx="${f(random() * w)}" cy="${f(random() * h)}" r="${f(r)}" fill="${p.hsl(90 + i * 7, 50, 70, 0.25)}"/>`;
  }).join("");
  const cx = w / 2;
  const cy = h / 2;
  const petals = Array.from({ length: 12 }, (_, i) => {
    const angle = (i * 30 * Math.PI) / 180;
    const len = Math.min(w, h) * 0.3;
    const x = cx + Math.cos(angle) * len * 0.55;
    const y = cy + Math.sin(angle) * len * 0.55;
    return `<ellipse cx="${f(x)}" cy="${f(y)}" rx="${f(len * 0.5)}" ry="${f(len * 0.16)}" transform="rotate(${i * 30} ${f(x)} ${f(y)})" fill="${p.hsl(0, 70, 60 + (i % 3) * 6)}"/>`;
  }).join("");
  const drops = Array.from({ length: 6 }, () => {
    const r = Math.min(w, h) * between(random, 0.01, 0.025);
    return `<circle cx="${f(cx + between(random, -0.25, 0.25) * w)}" cy="${f(cy + between(random, -0.25, 0.25) * h)}" r="${f(r)}" fill="rgba(255,255,255,0.7)"/>`;
  }).join("");
  return `<rect width="${w}" height="${h}" fill="${p.hsl(120, 40, 18)}"/>${bokeh}${petals}<circle cx="${f(cx)}" cy="${f(cy)}" r="${f(Math.min(w, h) * 0.08)}" fill="${p.hsl(50, 90, 55)}"/>${drops}`;
}

function boxesAndArrows(ctx: SceneContext): string {
  const { w, h, random, palette: p, label } = ctx;
  const columns = label.subcategory === "flowchart" ? 1 : 3;
  const rows = label.subcategory === "flowchart" ? 5 : 2 + Math.floor(random() * 2);
  const bw = (w / (columns * 2 + 1)) * (columns === 1 ? 2.2 : 1.3);
  const bh = (h / (rows * 2 + 1)) * 1.2;
  const grid = Array.from(
    { length: 24 },
    (_, i) => `<line x1="${f((w * i) / 24)}" y1="0" x2="${f((w * i) / 24)}" y2="${h}"/>`,
  ).join("");
  const boxes: string[] = [];
  const arrows: string[] = [];
  const centres: Array<{ x: number; y: number }> = [];
  for (let c = 0; c < columns; c++) {
    for (let r = 0; r < rows; r++) {
      const x = ((c + 0.5) * w) / columns;
      const y = ((r + 0.5) * h) / rows;
      centres.push({ x, y });
      const decision = label.subcategory === "flowchart" && r % 2 === 1;
      boxes.push(
        decision
          ? `<polygon points="${f(x)},${f(y - bh / 2)} ${f(x + bw / 2)},${f(y)} ${f(x)},${f(y + bh / 2)} ${f(x - bw / 2)},${f(y)}" fill="${p.hsl(40, 80, 88)}" stroke="${p.hsl(40, 60, 40)}" stroke-width="4"/>`
          : `<rect x="${f(x - bw / 2)}" y="${f(y - bh / 2)}" width="${f(bw)}" height="${f(bh)}" rx="${f(bh * 0.18)}" fill="${p.hsl(c * 40, 60, 92)}" stroke="${p.hsl(c * 40, 50, 40)}" stroke-width="4"/>`,
      );
      boxes.push(
        `<rect x="${f(x - bw * 0.3)}" y="${f(y - 5)}" width="${f(bw * 0.6)}" height="10" rx="5" fill="${p.hsl(c * 40, 30, 55)}"/>`,
      );
      if (r > 0) arrows.push(arrow(x, y - h / rows + bh / 2, x, y - bh / 2));
      if (c > 0 && columns > 1) arrows.push(arrow(x - w / columns + bw / 2, y, x - bw / 2, y));
    }
  }
  return `<defs><marker id="head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0 0L10 5L0 10z" fill="#37474f"/></marker></defs>
<rect width="${w}" height="${h}" fill="#fbfcfd"/><g stroke="#eceff1" stroke-width="2">${grid}</g>
<g stroke="#37474f" stroke-width="4" marker-end="url(#head)">${arrows.join("")}</g>${boxes.join("")}`;
}

function arrow(x1: number, y1: number, x2: number, y2: number): string {
  return `<line x1="${f(x1)}" y1="${f(y1)}" x2="${f(x2)}" y2="${f(y2)}"/>`;
}

function wireframe(ctx: SceneContext): string {
  const { w, h, random } = ctx;
  const m = Math.min(w, h) * 0.05;
  const cards = Array.from({ length: 3 }, (_, i) => {
    const cw = (w - m * 4) / 3;
    const x = m + i * (cw + m);
    const y = h * 0.5;
    const ch = h * 0.3;
    return `<rect x="${f(x)}" y="${f(y)}" width="${f(cw)}" height="${f(ch)}" fill="#fff" stroke="#90a4ae" stroke-width="3"/>
<line x1="${f(x)}" y1="${f(y)}" x2="${f(x + cw)}" y2="${f(y + ch * 0.6)}" stroke="#cfd8dc" stroke-width="2"/><line x1="${f(x + cw)}" y1="${f(y)}" x2="${f(x)}" y2="${f(y + ch * 0.6)}" stroke="#cfd8dc" stroke-width="2"/>
<rect x="${f(x + m * 0.3)}" y="${f(y + ch * 0.7)}" width="${f(cw * between(random, 0.4, 0.8))}" height="12" fill="#b0bec5"/>`;
  }).join("");
  return `<rect width="${w}" height="${h}" fill="#eceff1"/>
<rect x="0" y="0" width="${w}" height="${f(h * 0.08)}" fill="#cfd8dc"/>
<rect x="${f(m)}" y="${f(h * 0.025)}" width="${f(w * 0.12)}" height="${f(h * 0.03)}" fill="#90a4ae"/>
<rect x="${f(m)}" y="${f(h * 0.14)}" width="${f(w - 2 * m)}" height="${f(h * 0.3)}" fill="#fff" stroke="#90a4ae" stroke-width="3"/>
<rect x="${f(m * 2)}" y="${f(h * 0.2)}" width="${f(w * 0.45)}" height="${f(h * 0.05)}" fill="#78909c"/>
<rect x="${f(m * 2)}" y="${f(h * 0.33)}" width="${f(w * 0.18)}" height="${f(h * 0.06)}" rx="8" fill="#546e7a"/>
${cards}`;
}

function technical(ctx: SceneContext): string {
  const { w, h, random } = ctx;
  const cx = w / 2;
  const cy = h / 2;
  const r = Math.min(w, h) * 0.25;
  const teeth = 10 + Math.floor(random() * 10);
  const gear: string[] = [];
  for (let i = 0; i < teeth * 2; i++) {
    const a = (i * Math.PI) / teeth;
    const rr = i % 2 === 0 ? r : r * 0.86;
    gear.push(`${f(cx + Math.cos(a) * rr)},${f(cy + Math.sin(a) * rr)}`);
  }
  const grid = Array.from(
    { length: 32 },
    (_, i) =>
      `<line x1="${f((w * i) / 32)}" y1="0" x2="${f((w * i) / 32)}" y2="${h}"/><line x1="0" y1="${f((h * i) / 32)}" x2="${w}" y2="${f((h * i) / 32)}"/>`,
  ).join("");
  return `<rect width="${w}" height="${h}" fill="#0d3b66"/><g stroke="rgba(255,255,255,0.08)" stroke-width="1">${grid}</g>
<g fill="none" stroke="#e3f2fd" stroke-width="3"><polygon points="${gear.join(" ")}"/><circle cx="${f(cx)}" cy="${f(cy)}" r="${f(r * 0.3)}"/>
<line x1="${f(cx - r * 1.3)}" y1="${f(cy)}" x2="${f(cx + r * 1.3)}" y2="${f(cy)}" stroke-dasharray="16 8"/><line x1="${f(cx)}" y1="${f(cy - r * 1.3)}" x2="${f(cx)}" y2="${f(cy + r * 1.3)}" stroke-dasharray="16 8"/>
<line x1="${f(cx - r)}" y1="${f(cy + r * 1.45)}" x2="${f(cx + r)}" y2="${f(cy + r * 1.45)}"/><line x1="${f(cx - r)}" y1="${f(cy + r * 1.35)}" x2="${f(cx - r)}" y2="${f(cy + r * 1.55)}"/><line x1="${f(cx + r)}" y1="${f(cy + r * 1.35)}" x2="${f(cx + r)}" y2="${f(cy + r * 1.55)}"/></g>`;
}

function painting(ctx: SceneContext): string {
  const { w, h, random, palette: p } = ctx;
  const strokes = Array.from({ length: 160 }, (_, i) => {
    const x = random() * w;
    const y = random() * h;
    const band = y / h;
    return `<ellipse cx="${f(x)}" cy="${f(y)}" rx="${f(between(random, 18, 60))}" ry="${f(between(random, 5, 14))}" transform="rotate(${f(between(random, -35, 35))} ${f(x)} ${f(y)})" fill="${p.hsl(band < 0.5 ? 200 : 90 + (i % 5) * 12, 45, 70 - band * 35, 0.55)}"/>`;
  }).join("");
  return `<rect width="${w}" height="${h}" fill="${p.hsl(40, 35, 82)}"/>${strokes}`;
}

function digitalArt(ctx: SceneContext): string {
  const { w, h, random, palette: p } = ctx;
  const glows = Array.from({ length: 7 }, (_, i) => {
    const r = Math.min(w, h) * between(random, 0.06, 0.22);
    return `<circle cx="${f(random() * w)}" cy="${f(random() * h * 0.7)}" r="${f(r)}" fill="${p.hsl(180 + i * 20, 90, 60, 0.35)}"/><circle cx="${f(random() * w)}" cy="${f(random() * h)}" r="${f(r * 0.1)}" fill="${p.hsl(60, 100, 85)}"/>`;
  }).join("");
  return `<defs>${gradient("night", [p.hsl(240, 60, 12), p.hsl(290, 60, 30), p.hsl(330, 70, 50)])}</defs><rect width="${w}" height="${h}" fill="url(#night)"/>${glows}
<polygon points="${ridge(ctx, h * 0.85, h * 0.25, 14)}" fill="${p.hsl(250, 50, 8)}"/>`;
}

function render3d(ctx: SceneContext): string {
  const { w, h, random, palette: p } = ctx;
  const shapes = Array.from({ length: 3 }, (_, i) => {
    const r = Math.min(w, h) * between(random, 0.1, 0.17);
    const cx = w * (0.25 + i * 0.25);
    const cy = h * 0.62 - r;
    return `<defs>${radial(`s${i}`, p.hsl(i * 60, 70, 80), p.hsl(i * 60, 70, 25))}</defs><ellipse cx="${f(cx + r * 0.3)}" cy="${f(cy + r * 0.95)}" rx="${f(r)}" ry="${f(r * 0.2)}" fill="rgba(0,0,0,0.3)"/><circle cx="${f(cx)}" cy="${f(cy)}" r="${f(r)}" fill="url(#s${i})"/>`;
  }).join("");
  return `<defs>${gradient("studio", [p.hsl(0, 10, 92), p.hsl(0, 10, 70)])}</defs><rect width="${w}" height="${h}" fill="url(#studio)"/>${shapes}`;
}

function abstract(ctx: SceneContext): string {
  const { w, h, random, palette: p } = ctx;
  const shapes = Array.from({ length: 26 }, (_, i) => {
    if (i % 3 === 0) {
      return `<circle cx="${f(random() * w)}" cy="${f(random() * h)}" r="${f(Math.min(w, h) * between(random, 0.04, 0.2))}" fill="${p.hsl(i * 37, 75, 55, 0.7)}"/>`;
    }
    const pts = Array.from(
      { length: 3 + (i % 3) },
      () => `${f(random() * w)},${f(random() * h)}`,
    ).join(" ");
    return `<polygon points="${pts}" fill="${p.hsl(i * 23, 70, 50, 0.6)}"/>`;
  }).join("");
  return `<rect width="${w}" height="${h}" fill="${p.hsl(0, 15, 94)}"/>${shapes}`;
}

/** One composition per kind of picture, so a diagram looks like a diagram and a landscape like a landscape. */
export function drawScene(ctx: SceneContext): string {
  switch (ctx.label.subcategory) {
    case "landscape":
      return landscape(ctx);
    case "portrait":
      return portrait(ctx);
    case "macro":
      return macro(ctx);
    case "product":
    case "ecommerce":
    case "lifestyle":
    case "editorial":
    case "advertising":
      return productScene(ctx);
    case "architecture":
    case "flowchart":
      return boxesAndArrows(ctx);
    case "wireframe":
      return wireframe(ctx);
    case "technical":
      return technical(ctx);
    case "painting":
      return painting(ctx);
    case "digital_art":
      return digitalArt(ctx);
    case "3d_render":
      return render3d(ctx);
    case "abstract":
      return abstract(ctx);
  }
}
