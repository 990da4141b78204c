import { createHash } from "node:crypto";

/** A seeded PRNG (mulberry32): the same seed text always draws the same picture. */
export function seededRandom(seedText: string): () => number {
  let a = createHash("sha256").update(seedText).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Palette {
  hue: number;
  hsl(dh: number, s: number, l: number, a?: number): string;
}

export function paletteFrom(random: () => number): Palette {
  return paletteWithHue(Math.floor(random() * 360));
}

/** A palette around a given base hue (a colour the prompt names). */
export function paletteWithHue(hue: number): Palette {
  return {
    hue,
    hsl: (dh, s, l, a = 1) => `hsla(${(((hue + dh) % 360) + 360) % 360},${s}%,${l}%,${a})`,
  };
}
