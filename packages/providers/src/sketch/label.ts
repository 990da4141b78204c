// A stroke "font" for the one word the renderer writes, on a 4×6 grid. Drawn as lines,
// so the label looks the same on a machine with no fonts (sharp's SVG text needs fontconfig).
const GLYPHS: Record<string, number[][][]> = {
  S: [
    [
      [4, 0],
      [0, 0],
      [0, 3],
      [4, 3],
      [4, 6],
      [0, 6],
    ],
  ],
  K: [
    [
      [0, 0],
      [0, 6],
    ],
    [
      [4, 0],
      [0, 3],
      [4, 6],
    ],
  ],
  E: [
    [
      [4, 0],
      [0, 0],
      [0, 6],
      [4, 6],
    ],
    [
      [0, 3],
      [3, 3],
    ],
  ],
  T: [
    [
      [0, 0],
      [4, 0],
    ],
    [
      [2, 0],
      [2, 6],
    ],
  ],
  C: [
    [
      [4, 0],
      [0, 0],
      [0, 6],
      [4, 6],
    ],
  ],
  H: [
    [
      [0, 0],
      [0, 6],
    ],
    [
      [4, 0],
      [4, 6],
    ],
    [
      [0, 3],
      [4, 3],
    ],
  ],
};

/** A small "SKETCH" badge in the bottom-right corner, so nobody mistakes it for model output. */
export function sketchBadge(width: number, height: number): string {
  const word = "SKETCH";
  const unit = Math.max(3, Math.round(Math.min(width, height) / 170));
  const pad = 2.5 * unit;
  const advance = 6 * unit;
  const boxW = word.length * advance - 2 * unit + 2 * pad;
  const boxH = 6 * unit + 2 * pad;
  const x0 = width - boxW - 3 * unit;
  const y0 = height - boxH - 3 * unit;
  const strokes = [...word].flatMap((ch, i) =>
    (GLYPHS[ch] ?? []).map(
      (line) =>
        `<polyline points="${line
          .map(([x = 0, y = 0]) => `${x0 + pad + i * advance + x * unit},${y0 + pad + y * unit}`)
          .join(" ")}"/>`,
    ),
  );
  return `<rect x="${x0}" y="${y0}" width="${boxW}" height="${boxH}" rx="${unit * 1.5}" fill="rgba(0,0,0,0.72)"/><g fill="none" stroke="#ffd54a" stroke-width="${Math.max(2, unit * 0.8)}" stroke-linecap="round" stroke-linejoin="round">${strokes.join("")}</g>`;
}
