import type { Label } from "@nanobanana/domain";
import {
  BACKGROUND_WORDS,
  type Cues,
  colourRoles,
  css,
  type Hsl,
  productColours,
  readCues,
} from "./cues.ts";
import { drawProduct } from "./products.ts";
import { type Palette, paletteWithHue } from "./random.ts";

/** Everything a scene needs; each returns SVG elements for a w×h canvas. */
export interface SceneContext {
  w: number;
  h: number;
  random: () => number;
  palette: Palette;
  label: Label;
  /** The kind of object and the colours the user's words name; none when absent. */
  cues?: Cues;
}

const NO_CUES = readCues("");
const cuesOf = (ctx: SceneContext) => ctx.cues ?? NO_CUES;
const set = (...words: string[]): ReadonlySet<string> => new Set(words);
const tone = (x: Hsl, dl: number, ds = 0): Hsl => ({
  h: x.h,
  s: Math.max(0, Math.min(100, x.s + ds)),
  l: Math.max(0, Math.min(100, x.l + dl)),
});

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

const SKY_WORDS = set("sky", "sunset", "sunrise", "dusk", "dawn", "twilight", "cloud", "heaven");
const LAND_WORDS = set(
  "hill",
  "mountain",
  "peak",
  "field",
  "meadow",
  "forest",
  "tree",
  "wood",
  "grass",
  "valley",
  "desert",
  "dune",
  "canyon",
  "cliff",
  "rock",
  "land",
  "countryside",
  "vineyard",
  "prairie",
  "tundra",
  "jungle",
);
const WATER_WORDS = set("sea", "ocean", "lake", "river", "water", "bay", "wave", "pond", "beach");
const SUN_WORDS = set("sun", "moon");

/** Colours a landscape's words imply when none is named: "at night", "snowy peaks", "autumn". */
function impliedLandscape(words: ReadonlySet<string>): { sky?: Hsl; land?: Hsl; sun?: Hsl } {
  const has = (...w: string[]) => w.some((x) => words.has(x));
  const night = has("night", "midnight", "starry", "star", "nocturnal");
  const warm = has("sunset", "sunrise", "dusk", "dawn", "golden");
  const snowy = has("snow", "snowy", "winter", "glacier", "ice", "icy", "arctic");
  const autumn = has("autumn", "fall", "autumnal");
  const sandy = has("desert", "dune", "sahara");
  const green = has("forest", "meadow", "field", "grass", "jungle", "spring", "countryside");
  const land = snowy
    ? { h: 210, s: 25, l: 82 }
    : autumn
      ? { h: 25, s: 70, l: 42 }
      : sandy
        ? { h: 38, s: 55, l: 58 }
        : green
          ? { h: 120, s: 40, l: 32 }
          : undefined;
  return {
    ...(night
      ? { sky: { h: 228, s: 55, l: 14 }, sun: { h: 50, s: 30, l: 90 } }
      : warm
        ? { sky: { h: 22, s: 85, l: 60 } }
        : {}),
    ...(land ? { land } : {}),
  };
}

function landscape(ctx: SceneContext): string {
  const { w, h, random, palette: p } = ctx;
  const cues = cuesOf(ctx);
  const { byRole, rest } = colourRoles(cues, {
    sky: SKY_WORDS,
    land: LAND_WORDS,
    water: WATER_WORDS,
    sun: SUN_WORDS,
  });
  const implied = impliedLandscape(cues.words);
  // A colour not tied to sky, water or sun ("a red landscape", "golden hills") is the land's.
  const land = byRole.land ?? rest[0] ?? implied.land;
  const sky = byRole.sky ?? (byRole.land ? rest[0] : rest[1]) ?? implied.sky;
  const sun = byRole.sun ?? implied.sun;
  const horizon = h * between(random, 0.55, 0.68);
  const sunX = w * between(random, 0.2, 0.8);
  const layers = [0, 1, 2]
    .map((i) => {
      const base = horizon + i * h * 0.07;
      const amp = h * (0.28 - i * 0.08);
      const fill = land
        ? css(tone(land, 10 - i * 10))
        : p.hsl(180 + i * 10, 25 + i * 5, 28 - i * 7);
      return `<polygon points="${ridge(ctx, base, amp, 6 + i * 3)}" fill="${fill}"/>`;
    })
    .join("");
  const skyStops = sky
    ? [css(sky), css(tone(sky, (100 - sky.l) * 0.25)), css(tone(sky, (100 - sky.l) * 0.45))]
    : [p.hsl(200, 60, 62), p.hsl(30, 80, 78), p.hsl(20, 90, 70)];
  const ground = byRole.water
    ? css(byRole.water)
    : land
      ? css(tone(land, -Math.min(18, land.l * 0.5)))
      : p.hsl(190, 30, 14);
  return `<defs>${gradient("sky", skyStops)}</defs>
<rect width="${w}" height="${h}" fill="url(#sky)"/>
<circle cx="${f(sunX)}" cy="${f(horizon - h * 0.12)}" r="${f(h * 0.07)}" fill="${sun ? css(sun) : p.hsl(45, 100, 88)}"/>
${layers}
<rect y="${f(horizon + h * 0.2)}" width="${w}" height="${f(h)}" fill="${ground}"/>`;
}

const CLOTHES_WORDS = set(
  "shirt",
  "tshirt",
  "dress",
  "jacket",
  "coat",
  "suit",
  "sweater",
  "jumper",
  "hoodie",
  "top",
  "blouse",
  "scarf",
  "uniform",
  "gown",
  "robe",
  "cardigan",
  "vest",
  "tie",
  "turtleneck",
  "outfit",
  "clothe",
  "clothing",
  "attire",
  "kimono",
  "sari",
  "tuxedo",
  "blazer",
  "overall",
  "hat",
);
const HAIR_WORDS = set("hair", "haired", "beard", "ponytail", "curl", "braid", "bang", "moustache");
/** Colours on these are about the person but not drawn at this size (eyes, lips). */
const UNDRAWN_WORDS = set("eye", "eyed", "lip", "lipstick", "eyeshadow", "skin", "nail", "cheek");

/** Unnamed hair is a natural colour: black, browns, auburn, blonde, grey. */
const NATURAL_HAIR: readonly Hsl[] = [
  { h: 20, s: 15, l: 10 },
  { h: 25, s: 45, l: 22 },
  { h: 30, s: 40, l: 35 },
  { h: 14, s: 55, l: 32 },
  { h: 45, s: 60, l: 65 },
  { h: 0, s: 0, l: 65 },
];

function portrait(ctx: SceneContext): string {
  const { w, h, palette: p, random } = ctx;
  const { byRole, rest } = colourRoles(
    cuesOf(ctx),
    {
      clothes: CLOTHES_WORDS,
      hair: HAIR_WORDS,
      background: BACKGROUND_WORDS,
      undrawn: UNDRAWN_WORDS,
    },
    "hair",
  );
  const clothes = byRole.clothes ?? rest[0];
  // "Red hair" means ginger, not fire-engine red.
  const named = byRole.hair;
  const hair =
    named && named.s > 60 && (named.h < 40 || named.h > 340)
      ? { h: 15, s: 70, l: 40 }
      : (named ?? NATURAL_HAIR[p.hue % NATURAL_HAIR.length] ?? { h: 20, s: 15, l: 10 });
  // Skin stays in skin tones (the palette's hue only picks one), whatever the picture's hue.
  const skin: Hsl = { h: 18 + (p.hue % 16), s: 35 + (p.hue % 20), l: 40 + (p.hue % 31) };
  const cx = w * between(random, 0.42, 0.58);
  const headR = Math.min(w, h) * 0.15;
  const headY = h * 0.4;
  // Control height for the shoulders' curve so that it peaks just under the chin (a cubic with
  // both control points at c peaks at 0.25·h + 0.75·c), where the neck meets it.
  const c = (headY + headR * 1.25 - 0.25 * h) / 0.75;
  const bg = byRole.background
    ? radial("bg", css(tone(byRole.background, 12)), css(tone(byRole.background, -15)))
    : radial("bg", p.hsl(20, 30, 70), p.hsl(200, 25, 25));
  return `<defs>${bg}</defs>
<rect width="${w}" height="${h}" fill="url(#bg)"/>
<path d="M${f(cx - headR * 2.6)} ${f(h)} C ${f(cx - headR * 2.4)} ${f(c)}, ${f(cx + headR * 2.4)} ${f(c)}, ${f(cx + headR * 2.6)} ${f(h)} Z" fill="${clothes ? css(clothes) : p.hsl(210, 35, 22)}"/>
<rect x="${f(cx - headR * 0.35)}" y="${f(headY + headR * 0.7)}" width="${f(headR * 0.7)}" height="${f(headR * 0.62)}" fill="${css(tone(skin, -8))}"/>
<ellipse cx="${f(cx)}" cy="${f(headY)}" rx="${f(headR * 0.82)}" ry="${f(headR)}" fill="${css(skin)}"/>
<path d="M${f(cx - headR * 0.85)} ${f(headY - headR * 0.1)} C ${f(cx - headR)} ${f(headY - headR * 1.5)}, ${f(cx + headR)} ${f(headY - headR * 1.5)}, ${f(cx + headR * 0.85)} ${f(headY - headR * 0.1)} Z" fill="${css(hair)}"/>`;
}

function productScene(ctx: SceneContext): string {
  const { w, h, palette: p, label, random } = ctx;
  const size = Math.min(w, h) * 0.42;
  const baseY = h * 0.72;
  const cues = cuesOf(ctx);
  const colours = productColours(cues);
  const white = label.subcategory === "ecommerce";
  const backdrop = colours.background
    ? `<defs>${gradient("sweep", [css(tone(colours.background, 6)), css(tone(colours.background, -8))])}</defs><rect width="${w}" height="${h}" fill="url(#sweep)"/>`
    : white
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
  // The object the words name, in the colours they name; when they name no colour, the
  // picture's own hue, so unnamed colours still vary from prompt to prompt.
  const look = {
    main: colours.main ?? { h: p.hue, s: 55, l: 50 },
    ...(colours.accent ? { accent: colours.accent } : {}),
  };
  return `${backdrop}${extras.join("")}${drawProduct(cues.kind ?? "box", w / 2, baseY, size, look)}`;
}

const PETAL_WORDS = set(
  "flower",
  "petal",
  "bloom",
  "blossom",
  "rose",
  "tulip",
  "daisy",
  "poppy",
  "orchid",
  "lily",
  "sunflower",
  "butterfly",
);
const CENTRE_WORDS = set("centre", "center", "pollen", "stamen", "eye");

function macro(ctx: SceneContext): string {
  const { w, h, random, palette: p } = ctx;
  const { byRole, rest } = colourRoles(cuesOf(ctx), {
    petals: PETAL_WORDS,
    centre: CENTRE_WORDS,
    background: BACKGROUND_WORDS,
  });
  const petal = byRole.petals ?? rest[0];
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
    return `<ellipse cx="${f(x)}" cy="${f(y)}" rx="${f(len * 0.5)}" ry="${f(len * 0.16)}" transform="rotate(${i * 30} ${f(x)} ${f(y)})" fill="${petal ? css(tone(petal, (i % 3) * 5)) : p.hsl(0, 70, 60 + (i % 3) * 6)}"/>`;
  }).join("");
  const drops = Array.from({ length: 6 }, () => {
    const r = Math.min(w, h) * between(random, 0.01, 0.025);
    return `<circle cx="${f(cx + between(random, -0.25, 0.25) * w)}" cy="${f(cy + between(random, -0.25, 0.25) * h)}" r="${f(r)}" fill="rgba(255,255,255,0.7)"/>`;
  }).join("");
  const bg = byRole.background ? css(byRole.background) : p.hsl(120, 40, 18);
  const centre = byRole.centre ? css(byRole.centre) : p.hsl(50, 90, 55);
  return `<rect width="${w}" height="${h}" fill="${bg}"/>${bokeh}${petals}<circle cx="${f(cx)}" cy="${f(cy)}" r="${f(Math.min(w, h) * 0.08)}" fill="${centre}"/>${drops}`;
}

function boxesAndArrows(ctx: SceneContext): string {
  const { w, h, random, label } = ctx;
  // A named colour ("a blue architecture diagram") tints the boxes; else the picture's own hue.
  const [named] = colourRoles(cuesOf(ctx), {}).rest;
  const p = named && named.s >= 15 ? paletteWithHue(named.h) : ctx.palette;
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
  // The upper band is the sky, the lower the subject: named colours paint them.
  const { byRole, rest } = colourRoles(cuesOf(ctx), { sky: SKY_WORDS, water: WATER_WORDS });
  const lower = rest[0] ?? byRole.water;
  const upper = byRole.sky ?? rest[1];
  const strokes = Array.from({ length: 160 }, (_, i) => {
    const x = random() * w;
    const y = random() * h;
    const band = y / h;
    const named = band < 0.5 ? upper : lower;
    const fill = named
      ? css({ h: named.h + ((i % 5) - 2) * 4, s: named.s, l: named.l + 12 - band * 24 }, 0, 0.55)
      : p.hsl(band < 0.5 ? 200 : 90 + (i % 5) * 12, 45, 70 - band * 35, 0.55);
    return `<ellipse cx="${f(x)}" cy="${f(y)}" rx="${f(between(random, 18, 60))}" ry="${f(between(random, 5, 14))}" transform="rotate(${f(between(random, -35, 35))} ${f(x)} ${f(y)})" fill="${fill}"/>`;
  }).join("");
  return `<rect width="${w}" height="${h}" fill="${p.hsl(40, 35, 82)}"/>${strokes}`;
}

function digitalArt(ctx: SceneContext): string {
  const { w, h, random, palette: p } = ctx;
  const glows = Array.from({ length: 7 }, (_, i) => {
    const r = Math.min(w, h) * between(random, 0.06, 0.22);
    return `<circle cx="${f(random() * w)}" cy="${f(random() * h * 0.7)}" r="${f(r)}" fill="${p.hsl(180 + i * 20, 90, 60, 0.35)}"/><circle cx="${f(random() * w)}" cy="${f(random() * h)}" r="${f(r * 0.1)}" fill="${p.hsl(60, 100, 85)}"/>`;
  }).join("");
  const [first, second] = colourRoles(cuesOf(ctx), {}).rest;
  const stops = first
    ? [css(tone(first, -first.l * 0.75)), css(tone(first, -first.l * 0.35)), css(second ?? first)]
    : [p.hsl(240, 60, 12), p.hsl(290, 60, 30), p.hsl(330, 70, 50)];
  return `<defs>${gradient("night", stops)}</defs><rect width="${w}" height="${h}" fill="url(#night)"/>${glows}
<polygon points="${ridge(ctx, h * 0.85, h * 0.25, 14)}" fill="${p.hsl(250, 50, 8)}"/>`;
}

function render3d(ctx: SceneContext): string {
  const { w, h, random, palette: p } = ctx;
  const { byRole, rest } = colourRoles(cuesOf(ctx), { background: BACKGROUND_WORDS });
  const shapes = Array.from({ length: 3 }, (_, i) => {
    const r = Math.min(w, h) * between(random, 0.1, 0.17);
    const cx = w * (0.25 + i * 0.25);
    const cy = h * 0.62 - r;
    // The first named colour is the middle, largest-looking sphere's; others the sides'.
    const named = rest[[1, 0, 2][i] ?? 0] ?? rest[0];
    const fill = named
      ? radial(`s${i}`, css(tone(named, (100 - named.l) * 0.55)), css(tone(named, -named.l * 0.5)))
      : radial(`s${i}`, p.hsl(i * 60, 70, 80), p.hsl(i * 60, 70, 25));
    return `<defs>${fill}</defs><ellipse cx="${f(cx + r * 0.3)}" cy="${f(cy + r * 0.95)}" rx="${f(r)}" ry="${f(r * 0.2)}" fill="rgba(0,0,0,0.3)"/><circle cx="${f(cx)}" cy="${f(cy)}" r="${f(r)}" fill="url(#s${i})"/>`;
  }).join("");
  const studio = byRole.background
    ? [css(tone(byRole.background, 6)), css(tone(byRole.background, -10))]
    : [p.hsl(0, 10, 92), p.hsl(0, 10, 70)];
  return `<defs>${gradient("studio", studio)}</defs><rect width="${w}" height="${h}" fill="url(#studio)"/>${shapes}`;
}

function abstract(ctx: SceneContext): string {
  const { w, h, random, palette: p } = ctx;
  // Named colours take turns across the shapes; with none, the palette's spread of hues.
  const { rest: named } = colourRoles(cuesOf(ctx), {});
  const shapes = Array.from({ length: 26 }, (_, i) => {
    const own = named[i % Math.max(1, named.length)];
    if (i % 3 === 0) {
      const fill = own ? css(tone(own, ((i % 4) - 1.5) * 6), 0, 0.7) : p.hsl(i * 37, 75, 55, 0.7);
      return `<circle cx="${f(random() * w)}" cy="${f(random() * h)}" r="${f(Math.min(w, h) * between(random, 0.04, 0.2))}" fill="${fill}"/>`;
    }
    const pts = Array.from(
      { length: 3 + (i % 3) },
      () => `${f(random() * w)},${f(random() * h)}`,
    ).join(" ");
    const fill = own ? css(tone(own, ((i % 5) - 2) * 7), 0, 0.6) : p.hsl(i * 23, 70, 50, 0.6);
    return `<polygon points="${pts}" fill="${fill}"/>`;
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
