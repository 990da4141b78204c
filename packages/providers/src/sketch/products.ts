import { css, type Hsl, type ProductKind } from "./cues.ts";

/** The colours an object is drawn in: its main colour and, if the words name one, an accent. */
export interface ProductLook {
  main: Hsl;
  accent?: Hsl;
}

const f = (n: number) => n.toFixed(1);
const shadeOf = (x: Hsl): Hsl => ({ h: x.h, s: x.s, l: x.l * 0.65 });
const lightOf = (x: Hsl): Hsl => ({ h: x.h, s: x.s, l: x.l + (100 - x.l) * 0.4 });
/** An edge that shows on any body: darker on light colours, lighter on near-black ones. */
const outlineOf = (x: Hsl): Hsl =>
  x.l < 30 ? { h: x.h, s: x.s * 0.4, l: x.l + 28 } : { h: x.h, s: x.s, l: x.l * 0.5 };

const WHITE: Hsl = { h: 0, s: 0, l: 96 };
const NEAR_BLACK: Hsl = { h: 220, s: 10, l: 13 };
const DARK_BROWN: Hsl = { h: 25, s: 40, l: 18 };
const GLASS: Hsl = { h: 205, s: 35, l: 72 };
const BRASS: Hsl = { h: 42, s: 55, l: 50 };

/** Pen for one object: positions in units of its size, from its centre line and floor line. */
interface Pen {
  X: (k: number) => string;
  Y: (k: number) => string;
  L: (k: number) => string;
  body: string;
  shade: string;
  light: string;
  main: Hsl;
  accent: Hsl | undefined;
  /** A horizontal body gradient (shade–body–shade) under id "obj". */
  sheen: string;
}

/**
 * SVG for one object of the named kind standing on the floor line at (cx, baseY), about
 * `size` tall, drawn in the look's colours. Deterministic: no randomness here at all.
 */
export function drawProduct(
  kind: ProductKind,
  cx: number,
  baseY: number,
  size: number,
  look: ProductLook,
): string {
  const { main, accent } = look;
  const pen: Pen = {
    X: (k) => f(cx + k * size),
    Y: (k) => f(baseY - k * size),
    L: (k) => f(k * size),
    body: css(main),
    shade: css(shadeOf(main)),
    light: css(lightOf(main)),
    main,
    accent,
    sheen: `<defs><linearGradient id="obj" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="${css(shadeOf(main))}"/><stop offset="0.45" stop-color="${css(main)}"/><stop offset="1" stop-color="${css(shadeOf(main))}"/></linearGradient></defs>`,
  };
  const width = kind === "car" || kind === "laptop" ? 0.75 : 0.6;
  const shadow = `<ellipse cx="${f(cx)}" cy="${f(baseY)}" rx="${f(size * width)}" ry="${f(size * 0.07)}" fill="rgba(0,0,0,0.22)"/>`;
  const outline = css(outlineOf(main));
  return `${shadow}<g stroke="${outline}" stroke-width="${f(Math.max(2, size * 0.012))}" stroke-linejoin="round">${DRAW[kind](pen)}</g>`;
}

const DRAW: Record<ProductKind, (pen: Pen) => string> = {
  sneaker({ X, Y, L, body, shade, light, accent }) {
    // Side view, toe to the right: sole, upper, collar, laces and a stripe (accent, else white).
    const sole = css(accent ?? WHITE);
    const stripe = css(accent ?? WHITE);
    const laces = [0.2, 0.38, 0.56, 0.74].map((t) => {
      const x = 0.0 + t * 0.32;
      const y = 0.63 - t * 0.3;
      return `<line x1="${X(x - 0.05)}" y1="${Y(y - 0.05)}" x2="${X(x + 0.05)}" y2="${Y(y + 0.05)}" stroke="${css(accent ?? WHITE)}" stroke-width="${L(0.028)}" stroke-linecap="round"/>`;
    });
    return `<path d="M${X(-0.62)} ${Y(0.13)} L${X(0.55)} ${Y(0.13)} Q${X(0.7)} ${Y(0.13)} ${X(0.67)} ${Y(0.04)} Q${X(0.65)} ${Y(0)} ${X(0.5)} ${Y(0)} L${X(-0.58)} ${Y(0)} Q${X(-0.67)} ${Y(0)} ${X(-0.65)} ${Y(0.07)} Z" fill="${sole}"/>
<path d="M${X(-0.6)} ${Y(0.13)} C${X(-0.65)} ${Y(0.3)} ${X(-0.62)} ${Y(0.5)} ${X(-0.52)} ${Y(0.6)} L${X(-0.2)} ${Y(0.52)} C${X(-0.12)} ${Y(0.64)} ${X(-0.05)} ${Y(0.72)} ${X(0.03)} ${Y(0.7)} L${X(0.36)} ${Y(0.37)} C${X(0.52)} ${Y(0.32)} ${X(0.68)} ${Y(0.28)} ${X(0.65)} ${Y(0.13)} Z" fill="${body}"/>
<ellipse cx="${X(-0.36)}" cy="${Y(0.55)}" rx="${L(0.16)}" ry="${L(0.04)}" fill="${shade}"/>
<path d="M${X(-0.52)} ${Y(0.27)} Q${X(-0.05)} ${Y(0.1)} ${X(0.4)} ${Y(0.4)} Q${X(-0.02)} ${Y(0.25)} ${X(-0.52)} ${Y(0.27)} Z" fill="${stripe}"/>
<path d="M${X(0.4)} ${Y(0.3)} C${X(0.55)} ${Y(0.27)} ${X(0.64)} ${Y(0.24)} ${X(0.64)} ${Y(0.14)}" fill="none" stroke="${light}" stroke-width="${L(0.02)}"/>${laces.join("")}`;
  },

  boot({ X, Y, L, body, shade, light, accent }) {
    const sole = css(accent ?? DARK_BROWN);
    const eyelets = [0.88, 0.78, 0.68, 0.58].map(
      (y) =>
        `<circle cx="${X(0.0)}" cy="${Y(y)}" r="${L(0.018)}" fill="${light}"/><line x1="${X(-0.06)}" y1="${Y(y - 0.03)}" x2="${X(0.0)}" y2="${Y(y)}" stroke="${light}" stroke-width="${L(0.015)}"/>`,
    );
    return `<rect x="${X(-0.46)}" y="${Y(0.16)}" width="${L(0.3)}" height="${L(0.16)}" fill="${sole}"/>
<path d="M${X(-0.46)} ${Y(0.1)} L${X(0.58)} ${Y(0.1)} Q${X(0.67)} ${Y(0.1)} ${X(0.65)} ${Y(0)} L${X(-0.46)} ${Y(0)} Z" fill="${sole}"/>
<path d="M${X(-0.45)} ${Y(0.12)} L${X(-0.42)} ${Y(1.0)} L${X(0.03)} ${Y(1.0)} L${X(0.05)} ${Y(0.5)} C${X(0.12)} ${Y(0.4)} ${X(0.3)} ${Y(0.37)} ${X(0.5)} ${Y(0.31)} C${X(0.65)} ${Y(0.27)} ${X(0.67)} ${Y(0.15)} ${X(0.6)} ${Y(0.1)} Z" fill="${body}"/>
<rect x="${X(-0.43)}" y="${Y(1.0)}" width="${L(0.46)}" height="${L(0.08)}" fill="${shade}"/>
<path d="M${X(-0.38)} ${Y(0.3)} L${X(0.5)} ${Y(0.3)}" stroke="${shade}" stroke-width="${L(0.015)}" stroke-dasharray="${L(0.03)} ${L(0.02)}"/>${eyelets.join("")}`;
  },

  headphones({ X, Y, L, body, shade, light, accent }) {
    // Headband arc over two ear cups; the cups stand on the floor line.
    const pads = css(accent ?? NEAR_BLACK);
    const band = `M${X(-0.46)} ${Y(0.62)} C${X(-0.52)} ${Y(1.38)} ${X(0.52)} ${Y(1.38)} ${X(0.46)} ${Y(0.62)}`;
    return `<path d="${band}" fill="none" stroke="${shade}" stroke-width="${L(0.11)}" stroke-linecap="round"/>
<path d="${band}" fill="none" stroke="${body}" stroke-width="${L(0.07)}" stroke-linecap="round"/>
<rect x="${X(-0.5)}" y="${Y(0.76)}" width="${L(0.08)}" height="${L(0.18)}" fill="${light}"/>
<rect x="${X(0.42)}" y="${Y(0.76)}" width="${L(0.08)}" height="${L(0.18)}" fill="${light}"/>
<rect x="${X(-0.62)}" y="${Y(0.64)}" width="${L(0.26)}" height="${L(0.6)}" rx="${L(0.11)}" fill="${body}"/>
<rect x="${X(0.36)}" y="${Y(0.64)}" width="${L(0.26)}" height="${L(0.6)}" rx="${L(0.11)}" fill="${body}"/>
<rect x="${X(-0.4)}" y="${Y(0.58)}" width="${L(0.07)}" height="${L(0.48)}" rx="${L(0.03)}" fill="${pads}"/>
<rect x="${X(0.33)}" y="${Y(0.58)}" width="${L(0.07)}" height="${L(0.48)}" rx="${L(0.03)}" fill="${pads}"/>
<circle cx="${X(-0.49)}" cy="${Y(0.34)}" r="${L(0.06)}" fill="${light}"/>
<circle cx="${X(0.49)}" cy="${Y(0.34)}" r="${L(0.06)}" fill="${light}"/>`;
  },

  earbuds({ X, Y, L, body, shade, light, accent }) {
    const caseFill = accent ? css(accent) : body;
    const bud = (x: number, flip: number) =>
      `<rect x="${X(x - 0.04)}" y="${Y(0.88)}" width="${L(0.08)}" height="${L(0.4)}" rx="${L(0.04)}" fill="${body}"/>
<ellipse cx="${X(x + flip * 0.03)}" cy="${Y(0.92)}" rx="${L(0.12)}" ry="${L(0.11)}" fill="${body}"/>
<circle cx="${X(x + flip * 0.08)}" cy="${Y(0.92)}" r="${L(0.045)}" fill="${shade}"/>`;
    return `<rect x="${X(-0.3)}" y="${Y(0.62)}" width="${L(0.6)}" height="${L(0.62)}" rx="${L(0.2)}" fill="${caseFill}"/>
<line x1="${X(-0.3)}" y1="${Y(0.42)}" x2="${X(0.3)}" y2="${Y(0.42)}" stroke="${shade}" stroke-width="${L(0.015)}"/>
<circle cx="${X(0)}" cy="${Y(0.28)}" r="${L(0.02)}" fill="${light}"/>${bud(-0.5, -1)}${bud(0.5, 1)}`;
  },

  bottle({ X, Y, L, shade, light, accent, sheen }) {
    const cap = accent ? css(accent) : shade;
    return `${sheen}<path d="M${X(-0.22)} ${Y(0.95)} C${X(-0.22)} ${Y(1.14)} ${X(-0.08)} ${Y(1.12)} ${X(-0.08)} ${Y(1.24)} L${X(0.08)} ${Y(1.24)} C${X(0.08)} ${Y(1.12)} ${X(0.22)} ${Y(1.14)} ${X(0.22)} ${Y(0.95)} Z" fill="url(#obj)"/>
<rect x="${X(-0.22)}" y="${Y(0.98)}" width="${L(0.44)}" height="${L(0.98)}" rx="${L(0.07)}" fill="url(#obj)"/>
<rect x="${X(-0.08)}" y="${Y(1.3)}" width="${L(0.16)}" height="${L(0.1)}" fill="url(#obj)"/>
<rect x="${X(-0.095)}" y="${Y(1.42)}" width="${L(0.19)}" height="${L(0.13)}" rx="${L(0.02)}" fill="${cap}"/>
<rect x="${X(-0.22)}" y="${Y(0.7)}" width="${L(0.44)}" height="${L(0.28)}" fill="${css(WHITE)}"/>
<rect x="${X(-0.22)}" y="${Y(0.62)}" width="${L(0.44)}" height="${L(0.05)}" fill="${cap}"/>
<rect x="${X(-0.15)}" y="${Y(0.92)}" width="${L(0.035)}" height="${L(0.16)}" rx="${L(0.015)}" fill="rgba(255,255,255,0.4)" stroke="none"/>
<rect x="${X(-0.15)}" y="${Y(0.36)}" width="${L(0.035)}" height="${L(0.28)}" rx="${L(0.015)}" fill="${light}" stroke="none"/>`;
  },

  mug({ X, Y, L, shade, light, sheen, accent, body }) {
    const rim = accent ? css(accent) : light;
    return `${sheen}<path d="M${X(0.28)} ${Y(0.7)} C${X(0.58)} ${Y(0.74)} ${X(0.6)} ${Y(0.18)} ${X(0.28)} ${Y(0.24)}" fill="none" stroke="${body}" stroke-width="${L(0.08)}" stroke-linecap="round"/>
<ellipse cx="${X(0)}" cy="${Y(0.03)}" rx="${L(0.32)}" ry="${L(0.06)}" fill="${shade}"/>
<rect x="${X(-0.32)}" y="${Y(0.86)}" width="${L(0.64)}" height="${L(0.83)}" fill="url(#obj)"/>
<ellipse cx="${X(0)}" cy="${Y(0.86)}" rx="${L(0.32)}" ry="${L(0.075)}" fill="${rim}"/>
<ellipse cx="${X(0)}" cy="${Y(0.855)}" rx="${L(0.27)}" ry="${L(0.055)}" fill="hsl(25,45,20%)"/>
<rect x="${X(-0.22)}" y="${Y(0.72)}" width="${L(0.04)}" height="${L(0.5)}" rx="${L(0.02)}" fill="rgba(255,255,255,0.3)" stroke="none"/>`;
  },

  watch({ X, Y, L, main, body, shade, light, accent }) {
    // Face-on: strap from top to the floor, round case, dial and hands at ten past ten.
    const strap = css(accent ?? shadeOf(main));
    const dial = main.l > 80 ? css(NEAR_BLACK) : css(WHITE);
    const ink = main.l > 80 ? css(WHITE) : css(NEAR_BLACK);
    const cy = 0.74;
    const ticks = Array.from({ length: 12 }, (_, i) => {
      const a = (i * Math.PI) / 6;
      const r1 = i % 3 === 0 ? 0.17 : 0.19;
      return `<line x1="${X(Math.sin(a) * r1)}" y1="${Y(cy + Math.cos(a) * r1)}" x2="${X(Math.sin(a) * 0.22)}" y2="${Y(cy + Math.cos(a) * 0.22)}"/>`;
    });
    const holes = [0.36, 0.27, 0.18].map(
      (y) => `<circle cx="${X(0)}" cy="${Y(y)}" r="${L(0.018)}" fill="${css(NEAR_BLACK)}"/>`,
    );
    return `<rect x="${X(-0.17)}" y="${Y(1.34)}" width="${L(0.34)}" height="${L(0.5)}" rx="${L(0.05)}" fill="${strap}"/>
<rect x="${X(-0.17)}" y="${Y(0.58)}" width="${L(0.34)}" height="${L(0.56)}" rx="${L(0.05)}" fill="${strap}"/>
<rect x="${X(0.28)}" y="${Y(cy + 0.05)}" width="${L(0.07)}" height="${L(0.1)}" rx="${L(0.02)}" fill="${shade}"/>
<circle cx="${X(0)}" cy="${Y(cy)}" r="${L(0.31)}" fill="${body}"/>
<circle cx="${X(0)}" cy="${Y(cy)}" r="${L(0.27)}" fill="${light}"/>
<circle cx="${X(0)}" cy="${Y(cy)}" r="${L(0.245)}" fill="${dial}"/>
<g stroke="${ink}" stroke-width="${L(0.014)}" stroke-linecap="round">${ticks.join("")}
<line x1="${X(0)}" y1="${Y(cy)}" x2="${X(-0.1)}" y2="${Y(cy + 0.07)}" stroke-width="${L(0.022)}"/>
<line x1="${X(0)}" y1="${Y(cy)}" x2="${X(0.13)}" y2="${Y(cy + 0.1)}"/></g>${holes.join("")}`;
  },

  phone({ X, Y, L, main, body, shade, accent }) {
    // Face-on: coloured frame, a wallpaper in the same colours, a pill camera, app icons.
    const paper = accent ?? main;
    const top = css({ h: paper.h, s: paper.s, l: Math.min(85, paper.l + 25) });
    const bottom = css({ h: paper.h, s: paper.s, l: Math.max(12, paper.l - 15) });
    const icons = Array.from({ length: 12 }, (_, i) => {
      const col = i % 4;
      const row = Math.floor(i / 4);
      return `<rect x="${X(-0.2 + col * 0.11)}" y="${Y(1.02 - row * 0.13)}" width="${L(0.07)}" height="${L(0.07)}" rx="${L(0.018)}" fill="rgba(255,255,255,0.55)"/>`;
    });
    return `<defs><linearGradient id="wall" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="${top}"/><stop offset="1" stop-color="${bottom}"/></linearGradient></defs>
<rect x="${X(-0.31)}" y="${Y(0.9)}" width="${L(0.03)}" height="${L(0.16)}" fill="${shade}"/>
<rect x="${X(0.28)}" y="${Y(1.0)}" width="${L(0.03)}" height="${L(0.22)}" fill="${shade}"/>
<rect x="${X(-0.29)}" y="${Y(1.3)}" width="${L(0.58)}" height="${L(1.28)}" rx="${L(0.09)}" fill="${body}"/>
<rect x="${X(-0.255)}" y="${Y(1.265)}" width="${L(0.51)}" height="${L(1.21)}" rx="${L(0.065)}" fill="url(#wall)" stroke="none"/>
<rect x="${X(-0.07)}" y="${Y(1.225)}" width="${L(0.14)}" height="${L(0.04)}" rx="${L(0.02)}" fill="#0b0b0f" stroke="none"/>
<g stroke="none">${icons.join("")}</g>
<rect x="${X(-0.1)}" y="${Y(0.1)}" width="${L(0.2)}" height="${L(0.015)}" rx="${L(0.007)}" fill="rgba(255,255,255,0.8)" stroke="none"/>`;
  },

  laptop({ X, Y, L, main, body, shade, light, accent }) {
    // Open, face-on: coloured lid with a wallpaper screen, a keyboard base in perspective.
    const paper = accent ?? main;
    const top = css({ h: paper.h, s: paper.s, l: Math.min(80, paper.l + 20) });
    const bottom = css({ h: paper.h, s: paper.s, l: Math.max(10, paper.l - 20) });
    const keys = [0, 1, 2, 3].map((row) => {
      const y = 0.155 - row * 0.028;
      const half = 0.47 + row * 0.028;
      return `<line x1="${X(-half)}" y1="${Y(y)}" x2="${X(half)}" y2="${Y(y)}" stroke="${shade}" stroke-width="${L(0.012)}" stroke-dasharray="${L(0.035)} ${L(0.012)}"/>`;
    });
    return `<defs><linearGradient id="wall" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${top}"/><stop offset="1" stop-color="${bottom}"/></linearGradient></defs>
<rect x="${X(-0.56)}" y="${Y(1.04)}" width="${L(1.12)}" height="${L(0.86)}" rx="${L(0.04)}" fill="${body}"/>
<rect x="${X(-0.51)}" y="${Y(0.99)}" width="${L(1.02)}" height="${L(0.76)}" fill="url(#wall)"/>
<polygon points="${X(-0.56)},${Y(0.18)} ${X(0.56)},${Y(0.18)} ${X(0.72)},${Y(0.03)} ${X(-0.72)},${Y(0.03)}" fill="${light}"/>
<rect x="${X(-0.72)}" y="${Y(0.03)}" width="${L(1.44)}" height="${L(0.03)}" rx="${L(0.01)}" fill="${shade}"/>
${keys.join("")}<rect x="${X(-0.1)}" y="${Y(0.06)}" width="${L(0.2)}" height="${L(0.02)}" fill="${shade}" stroke="none"/>`;
  },

  chair({ X, Y, L, main, body, shade, light, accent }) {
    const legs = css(accent ?? shadeOf(main));
    const leg = (x: number, top: number, bottom: number) =>
      `<rect x="${X(x)}" y="${Y(top)}" width="${L(0.05)}" height="${L(top - bottom)}" fill="${legs}"/>`;
    return `${leg(-0.32, 0.6, 0.1)}${leg(0.27, 0.6, 0.1)}
<rect x="${X(-0.3)}" y="${Y(0.68)}" width="${L(0.04)}" height="${L(0.04)}" fill="${legs}"/>
<rect x="${X(-0.32)}" y="${Y(1.32)}" width="${L(0.64)}" height="${L(0.64)}" rx="${L(0.07)}" fill="${body}"/>
<rect x="${X(-0.25)}" y="${Y(1.25)}" width="${L(0.5)}" height="${L(0.5)}" rx="${L(0.05)}" fill="${light}" stroke="none" opacity="0.35"/>
<polygon points="${X(-0.34)},${Y(0.68)} ${X(0.34)},${Y(0.68)} ${X(0.42)},${Y(0.55)} ${X(-0.42)},${Y(0.55)}" fill="${light}"/>
<rect x="${X(-0.42)}" y="${Y(0.55)}" width="${L(0.84)}" height="${L(0.08)}" fill="${shade}"/>
${leg(-0.41, 0.47, 0)}${leg(0.36, 0.47, 0)}`;
  },

  lamp({ X, Y, L, main, body, shade, light, accent }) {
    // A table lamp: coloured shade, warm glow, stem and base.
    const metal = css(accent ?? BRASS);
    return `<defs><linearGradient id="obj" x1="0" y1="0" x2="1" y2="0"><stop offset="0" stop-color="${shade}"/><stop offset="0.5" stop-color="${body}"/><stop offset="1" stop-color="${shade}"/></linearGradient></defs>
<polygon points="${X(-0.4)},${Y(0.72)} ${X(0.4)},${Y(0.72)} ${X(0.62)},${Y(0)} ${X(-0.62)},${Y(0)}" fill="rgba(255,236,170,0.22)" stroke="none"/>
<rect x="${X(-0.035)}" y="${Y(0.75)}" width="${L(0.07)}" height="${L(0.66)}" fill="${metal}"/>
<path d="M${X(-0.24)} ${Y(0.02)} Q${X(-0.24)} ${Y(0.12)} ${X(-0.1)} ${Y(0.12)} L${X(0.1)} ${Y(0.12)} Q${X(0.24)} ${Y(0.12)} ${X(0.24)} ${Y(0.02)} Z" fill="${metal}"/>
<ellipse cx="${X(0)}" cy="${Y(0.73)}" rx="${L(0.4)}" ry="${L(0.06)}" fill="hsl(48,100%,86%)"/>
<polygon points="${X(-0.22)},${Y(1.28)} ${X(0.22)},${Y(1.28)} ${X(0.41)},${Y(0.74)} ${X(-0.41)},${Y(0.74)}" fill="url(#obj)"/>
<line x1="${X(-0.2)}" y1="${Y(1.22)}" x2="${X(0.2)}" y2="${Y(1.22)}" stroke="${light}" stroke-width="${L(0.015)}"/>
<line x1="${X(-0.38)}" y1="${Y(0.8)}" x2="${X(0.38)}" y2="${Y(0.8)}" stroke="${css(shadeOf(main))}" stroke-width="${L(0.015)}"/>`;
  },

  bag({ X, Y, L, main, body, shade, light, accent, sheen }) {
    // A handbag: handle, trapezoid body, flap and clasp.
    const handle = css(accent ?? shadeOf(main));
    const clasp = css(accent ?? BRASS);
    return `${sheen}<path d="M${X(-0.22)} ${Y(0.72)} C${X(-0.24)} ${Y(1.2)} ${X(0.24)} ${Y(1.2)} ${X(0.22)} ${Y(0.72)}" fill="none" stroke="${handle}" stroke-width="${L(0.06)}" stroke-linecap="round"/>
<path d="M${X(-0.36)} ${Y(0.76)} L${X(0.36)} ${Y(0.76)} L${X(0.47)} ${Y(0.08)} Q${X(0.47)} ${Y(0.01)} ${X(0.4)} ${Y(0.01)} L${X(-0.4)} ${Y(0.01)} Q${X(-0.47)} ${Y(0.01)} ${X(-0.47)} ${Y(0.08)} Z" fill="url(#obj)"/>
<path d="M${X(-0.36)} ${Y(0.76)} L${X(0.36)} ${Y(0.76)} L${X(0.39)} ${Y(0.48)} Q${X(0)} ${Y(0.34)} ${X(-0.39)} ${Y(0.48)} Z" fill="${body}"/>
<path d="M${X(-0.33)} ${Y(0.72)} L${X(0.33)} ${Y(0.72)}" stroke="${light}" stroke-width="${L(0.012)}" stroke-dasharray="${L(0.025)} ${L(0.015)}"/>
<rect x="${X(-0.05)}" y="${Y(0.45)}" width="${L(0.1)}" height="${L(0.08)}" rx="${L(0.015)}" fill="${clasp}"/>
<line x1="${X(-0.4)}" y1="${Y(0.1)}" x2="${X(0.4)}" y2="${Y(0.1)}" stroke="${shade}" stroke-width="${L(0.012)}"/>`;
  },

  backpack({ X, Y, L, main, body, shade, light, accent }) {
    // Front view: top loop, rounded body, side straps, zipped front pocket.
    const pocket = css(accent ?? lightOf(main));
    const straps = css(shadeOf(main));
    return `<path d="M${X(-0.1)} ${Y(1.18)} C${X(-0.1)} ${Y(1.34)} ${X(0.1)} ${Y(1.34)} ${X(0.1)} ${Y(1.18)}" fill="none" stroke="${straps}" stroke-width="${L(0.04)}"/>
<rect x="${X(-0.45)}" y="${Y(1.0)}" width="${L(0.1)}" height="${L(0.8)}" rx="${L(0.04)}" fill="${straps}"/>
<rect x="${X(0.35)}" y="${Y(1.0)}" width="${L(0.1)}" height="${L(0.8)}" rx="${L(0.04)}" fill="${straps}"/>
<path d="M${X(-0.38)} ${Y(0.04)} L${X(-0.38)} ${Y(0.9)} Q${X(-0.38)} ${Y(1.24)} ${X(0)} ${Y(1.24)} Q${X(0.38)} ${Y(1.24)} ${X(0.38)} ${Y(0.9)} L${X(0.38)} ${Y(0.04)} Q${X(0.38)} ${Y(0.01)} ${X(0.33)} ${Y(0.01)} L${X(-0.33)} ${Y(0.01)} Q${X(-0.38)} ${Y(0.01)} ${X(-0.38)} ${Y(0.04)} Z" fill="${body}"/>
<path d="M${X(-0.3)} ${Y(0.88)} Q${X(0)} ${Y(1.1)} ${X(0.3)} ${Y(0.88)}" fill="none" stroke="${shade}" stroke-width="${L(0.015)}"/>
<rect x="${X(-0.28)}" y="${Y(0.56)}" width="${L(0.56)}" height="${L(0.46)}" rx="${L(0.1)}" fill="${pocket}"/>
<line x1="${X(-0.22)}" y1="${Y(0.5)}" x2="${X(0.22)}" y2="${Y(0.5)}" stroke="${shade}" stroke-width="${L(0.012)}"/>
<rect x="${X(0.15)}" y="${Y(0.5)}" width="${L(0.03)}" height="${L(0.08)}" fill="${light}"/>`;
  },

  car({ X, Y, L, body, shade, light, accent }) {
    // Side view facing right: body, two windows, wheels with rims, lights.
    const rims = css(accent ?? { h: 210, s: 8, l: 78 });
    const glass = css(GLASS);
    const wheel = (x: number) =>
      `<circle cx="${X(x)}" cy="${Y(0.15)}" r="${L(0.15)}" fill="${css(NEAR_BLACK)}"/><circle cx="${X(x)}" cy="${Y(0.15)}" r="${L(0.07)}" fill="${rims}"/>`;
    return `<path d="M${X(-0.72)} ${Y(0.14)} L${X(-0.72)} ${Y(0.42)} Q${X(-0.7)} ${Y(0.5)} ${X(-0.56)} ${Y(0.52)} L${X(-0.36)} ${Y(0.55)} L${X(-0.2)} ${Y(0.8)} Q${X(-0.15)} ${Y(0.85)} ${X(0)} ${Y(0.85)} L${X(0.24)} ${Y(0.85)} Q${X(0.32)} ${Y(0.84)} ${X(0.38)} ${Y(0.77)} L${X(0.52)} ${Y(0.57)} L${X(0.68)} ${Y(0.52)} Q${X(0.76)} ${Y(0.48)} ${X(0.76)} ${Y(0.36)} L${X(0.76)} ${Y(0.14)} Z" fill="${body}"/>
<polygon points="${X(-0.3)},${Y(0.56)} ${X(-0.17)},${Y(0.78)} ${X(0.03)},${Y(0.78)} ${X(0.03)},${Y(0.56)}" fill="${glass}"/>
<polygon points="${X(0.08)},${Y(0.56)} ${X(0.08)},${Y(0.78)} ${X(0.25)},${Y(0.78)} ${X(0.44)},${Y(0.56)}" fill="${glass}"/>
<line x1="${X(-0.7)}" y1="${Y(0.36)}" x2="${X(0.74)}" y2="${Y(0.36)}" stroke="${light}" stroke-width="${L(0.012)}"/>
<line x1="${X(0.05)}" y1="${Y(0.55)}" x2="${X(0.05)}" y2="${Y(0.18)}" stroke="${shade}" stroke-width="${L(0.01)}"/>
<rect x="${X(0.69)}" y="${Y(0.45)}" width="${L(0.06)}" height="${L(0.05)}" fill="hsl(50,100%,85%)"/>
<rect x="${X(-0.72)}" y="${Y(0.46)}" width="${L(0.04)}" height="${L(0.06)}" fill="hsl(0,85%,45%)"/>${wheel(-0.42)}${wheel(0.46)}`;
  },

  box({ X, Y, L, main, body, shade, light, accent }) {
    // The generic product: a closed carton, taped, in three-quarter view.
    const tape = css(accent ?? lightOf(lightOf(main)));
    return `<polygon points="${X(-0.5)},${Y(0.1)} ${X(0)},${Y(0)} ${X(0)},${Y(0.8)} ${X(-0.5)},${Y(0.9)}" fill="${body}"/>
<polygon points="${X(0)},${Y(0)} ${X(0.5)},${Y(0.1)} ${X(0.5)},${Y(0.9)} ${X(0)},${Y(0.8)}" fill="${shade}"/>
<polygon points="${X(-0.5)},${Y(0.9)} ${X(0)},${Y(0.8)} ${X(0.5)},${Y(0.9)} ${X(0)},${Y(1.0)}" fill="${light}"/>
<polygon points="${X(-0.3)},${Y(0.94)} ${X(-0.22)},${Y(0.96)} ${X(0.28)},${Y(0.86)} ${X(0.2)},${Y(0.84)}" fill="${tape}" stroke="none"/>
<polygon points="${X(0.2)},${Y(0.84)} ${X(0.28)},${Y(0.86)} ${X(0.28)},${Y(0.5)} ${X(0.2)},${Y(0.48)}" fill="${tape}" stroke="none" opacity="0.85"/>
<line x1="${X(0)}" y1="${Y(0.02)}" x2="${X(0)}" y2="${Y(0.78)}" stroke-width="${L(0.006)}"/>`;
  },
};
