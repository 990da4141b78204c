// What the sketch renderer reads from the user's words: the kind of object they named and
// the colours they asked for. A small hand-written lexicon, no model: it runs on every request,
// and the same words must always give the same picture.

/** A colour as hue (0–360), saturation and lightness (0–100). */
export interface Hsl {
  h: number;
  s: number;
  l: number;
}

/** The kinds of object the product scene can draw; "box" is the generic shape. */
export const PRODUCT_KINDS = [
  "sneaker",
  "boot",
  "headphones",
  "earbuds",
  "bottle",
  "mug",
  "watch",
  "phone",
  "laptop",
  "chair",
  "lamp",
  "bag",
  "backpack",
  "car",
  "box",
] as const;
export type ProductKind = (typeof PRODUCT_KINDS)[number];

/** One colour the words name, and the word it describes (the next noun-like word), if any. */
export interface ColourMention {
  /** The word (or two words) as written: "red", "navy blue". */
  name: string;
  colour: Hsl;
  /** The word the colour describes, singular: "red sneakers" → "sneaker"; absent for "in red". */
  noun?: string;
  /** Which part of the sentence it is in: parts are split at "on", "against", "in a…" and the like. */
  segment: number;
  /** A material ("leather", "glass") rather than a colour: used only when no colour is named. */
  material: boolean;
  /** A hair colour word ("blonde", "ginger"): describes hair whatever follows it. */
  hair: boolean;
}

export interface Cues {
  /** The kind of object named, if any (the head noun of the first phrase that names one). */
  kind?: ProductKind;
  /** The segment of the kind word; colours in it describe the object. */
  kindSegment: number;
  colours: ColourMention[];
  /** Every word, singular and lower-case, for scene-specific cues ("sunset", "snowy"). */
  words: ReadonlySet<string>;
}

const c = (h: number, s: number, l: number): Hsl => ({ h, s, l });

const COLOURS: Record<string, Hsl> = {
  red: c(0, 78, 48),
  orange: c(27, 92, 52),
  yellow: c(50, 95, 55),
  green: c(125, 55, 38),
  blue: c(215, 78, 50),
  purple: c(280, 55, 45),
  pink: c(335, 80, 72),
  brown: c(25, 50, 30),
  black: c(0, 0, 9),
  white: c(0, 0, 97),
  grey: c(0, 0, 55),
  gray: c(0, 0, 55),
  teal: c(178, 70, 33),
  navy: c(225, 65, 22),
  gold: c(45, 85, 50),
  golden: c(45, 85, 50),
  silver: c(210, 8, 76),
  silvery: c(210, 8, 76),
  beige: c(38, 45, 80),
  cyan: c(188, 85, 48),
  aqua: c(180, 75, 55),
  turquoise: c(174, 70, 48),
  magenta: c(305, 80, 50),
  fuchsia: c(315, 85, 55),
  maroon: c(345, 70, 26),
  burgundy: c(345, 60, 28),
  crimson: c(350, 80, 42),
  scarlet: c(5, 90, 48),
  ruby: c(350, 75, 38),
  cream: c(45, 70, 90),
  ivory: c(48, 60, 93),
  tan: c(32, 45, 60),
  khaki: c(50, 35, 58),
  olive: c(68, 50, 32),
  lime: c(95, 75, 50),
  mint: c(150, 55, 76),
  emerald: c(145, 70, 35),
  coral: c(10, 80, 64),
  salmon: c(8, 80, 70),
  peach: c(25, 90, 78),
  violet: c(275, 65, 55),
  lavender: c(265, 55, 78),
  lilac: c(280, 45, 75),
  indigo: c(245, 55, 35),
  sapphire: c(220, 75, 38),
  charcoal: c(210, 8, 22),
  rose: c(345, 65, 60),
  amber: c(40, 95, 50),
  mustard: c(48, 80, 45),
  copper: c(22, 65, 45),
  bronze: c(30, 55, 38),
  rust: c(15, 70, 38),
  plum: c(300, 40, 30),
  reddish: c(0, 78, 48),
  orangey: c(27, 92, 52),
  yellowish: c(50, 95, 55),
  greenish: c(125, 55, 38),
  bluish: c(215, 78, 50),
  purplish: c(280, 55, 45),
  pinkish: c(335, 80, 72),
  brownish: c(25, 50, 30),
  greyish: c(0, 0, 55),
  grayish: c(0, 0, 55),
};

/** Two-word colours, checked before single words ("bottle green" is a colour, not a bottle). */
const COMPOUND_COLOURS: Record<string, Hsl> = {
  "navy blue": c(225, 65, 22),
  "sky blue": c(200, 75, 70),
  "royal blue": c(225, 75, 45),
  "baby blue": c(205, 70, 80),
  "midnight blue": c(230, 60, 15),
  "electric blue": c(210, 100, 55),
  "forest green": c(130, 55, 25),
  "lime green": c(95, 75, 50),
  "olive green": c(68, 50, 32),
  "mint green": c(150, 55, 76),
  "emerald green": c(145, 70, 35),
  "bottle green": c(140, 55, 22),
  "sea green": c(150, 45, 45),
  "hot pink": c(330, 90, 60),
  "jet black": c(0, 0, 5),
  "off white": c(40, 30, 93),
  "rose gold": c(15, 45, 70),
  "wine red": c(345, 55, 30),
  "blood red": c(0, 85, 35),
  "cherry red": c(355, 85, 42),
  "brick red": c(10, 60, 40),
};

const HAIR_COLOURS: Record<string, Hsl> = {
  blonde: c(45, 65, 68),
  blond: c(45, 65, 68),
  brunette: c(25, 45, 25),
  ginger: c(15, 70, 40),
  auburn: c(12, 60, 33),
  redhead: c(15, 70, 40),
};

const MATERIALS: Record<string, Hsl> = {
  glass: c(185, 35, 80),
  wood: c(28, 50, 38),
  wooden: c(28, 50, 38),
  oak: c(35, 45, 55),
  walnut: c(20, 40, 28),
  bamboo: c(45, 50, 60),
  leather: c(22, 55, 30),
  suede: c(28, 40, 45),
  steel: c(210, 6, 72),
  stainless: c(210, 6, 72),
  metal: c(210, 6, 72),
  metallic: c(210, 6, 72),
  aluminium: c(210, 6, 72),
  aluminum: c(210, 6, 72),
  chrome: c(210, 6, 78),
  titanium: c(210, 5, 62),
  brass: c(45, 60, 48),
  denim: c(215, 45, 42),
  canvas: c(40, 25, 78),
  ceramic: c(40, 15, 94),
  porcelain: c(40, 15, 94),
  marble: c(0, 0, 92),
  concrete: c(0, 0, 62),
  rubber: c(0, 0, 15),
};

type Modifier = (x: Hsl) => Hsl;
const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));
const lighter: Modifier = (x) => ({ h: x.h, s: x.s * 0.8, l: x.l + (100 - x.l) * 0.45 });
const darker: Modifier = (x) => ({ h: x.h, s: x.s, l: x.l * 0.6 });
const brighter: Modifier = (x) => ({ h: x.h, s: clamp(x.s + 20, 0, 100), l: (x.l + 55) / 2 });
const MODIFIERS: Record<string, Modifier> = {
  light: lighter,
  pale: lighter,
  pastel: lighter,
  soft: lighter,
  dark: darker,
  deep: darker,
  bright: brighter,
  vivid: brighter,
  neon: brighter,
  muted: (x) => ({ h: x.h, s: x.s * 0.55, l: x.l }),
  dusty: (x) => ({ h: x.h, s: x.s * 0.5, l: x.l + (100 - x.l) * 0.2 }),
};

const KIND_WORDS: Record<string, ProductKind> = {
  sneaker: "sneaker",
  shoe: "sneaker",
  trainer: "sneaker",
  footwear: "sneaker",
  loafer: "sneaker",
  sandal: "sneaker",
  slipper: "sneaker",
  heel: "sneaker",
  boot: "boot",
  bootie: "boot",
  headphone: "headphones",
  headset: "headphones",
  earbud: "earbuds",
  earphone: "earbuds",
  airpod: "earbuds",
  earpiece: "earbuds",
  bottle: "bottle",
  flask: "bottle",
  thermos: "bottle",
  perfume: "bottle",
  cologne: "bottle",
  fragrance: "bottle",
  shampoo: "bottle",
  lotion: "bottle",
  serum: "bottle",
  mug: "mug",
  cup: "mug",
  teacup: "mug",
  tumbler: "mug",
  watch: "watch",
  wristwatch: "watch",
  smartwatch: "watch",
  timepiece: "watch",
  chronograph: "watch",
  phone: "phone",
  smartphone: "phone",
  iphone: "phone",
  cellphone: "phone",
  telephone: "phone",
  handset: "phone",
  laptop: "laptop",
  macbook: "laptop",
  chromebook: "laptop",
  ultrabook: "laptop",
  computer: "laptop",
  chair: "chair",
  armchair: "chair",
  stool: "chair",
  recliner: "chair",
  sofa: "chair",
  couch: "chair",
  lamp: "lamp",
  lampshade: "lamp",
  lantern: "lamp",
  bag: "bag",
  handbag: "bag",
  purse: "bag",
  tote: "bag",
  satchel: "bag",
  clutch: "bag",
  briefcase: "bag",
  backpack: "backpack",
  rucksack: "backpack",
  knapsack: "backpack",
  daypack: "backpack",
  car: "car",
  sedan: "car",
  suv: "car",
  coupe: "car",
  hatchback: "car",
  convertible: "car",
  automobile: "car",
  box: "box",
  package: "box",
  parcel: "box",
  crate: "box",
  gift: "box",
};

/** Two words written apart that name one thing ("ear buds", "back pack"). */
const JOINED: Record<string, string> = {
  "ear bud": "earbud",
  "ear phone": "earphone",
  "head phone": "headphone",
  "back pack": "backpack",
  "hand bag": "handbag",
  "wrist watch": "wristwatch",
  "smart watch": "smartwatch",
  "smart phone": "smartphone",
  "cell phone": "cellphone",
  "lamp shade": "lampshade",
  "arm chair": "armchair",
  "t shirt": "tshirt",
  "tee shirt": "tshirt",
};

/** Prepositions that move from the object to its setting: "a red sneaker | on a white table". */
const SETTING = new Set([
  "on",
  "onto",
  "upon",
  "at",
  "against",
  "beside",
  "near",
  "next",
  "under",
  "underneath",
  "beneath",
  "over",
  "above",
  "below",
  "behind",
  "by",
  "inside",
  "outside",
  "atop",
  "across",
  "along",
  "through",
  "among",
  "amid",
  "around",
  "into",
  "from",
]);

/** Words that end a phrase for choosing the kind: "a mug | and a bottle", "headphones | with a case". */
const PHRASE_BREAK = new Set(["and", "or", "with", "plus", "featuring", "beside", "in", "of"]);

/** Words skipped when looking for the noun a colour describes. */
const COLOUR_GLUE = new Set(["and", "or", "ish", "coloured", "colored", "tone", "toned", "tinted"]);

/** Words after which a colour describes nothing in particular ("dressed in red, on a table"). */
const NOT_A_NOUN = new Set([
  ...SETTING,
  "with",
  "in",
  "of",
  "for",
  "the",
  "a",
  "an",
  "is",
  "are",
  "one",
  "ones",
  "colour",
  "color",
]);

const NOT_PLURAL = new Set(["canvas", "lens", "chassis", "series", "news", "this", "always"]);

/** "sneakers" → "sneaker", "watches" → "watch", "batteries" → "battery"; "dress" stays. */
export function singular(word: string): string {
  if (word.length <= 3 || NOT_PLURAL.has(word)) return word;
  if (word.endsWith("ies")) return `${word.slice(0, -3)}y`;
  if (/(ch|sh|ss|x)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith("s") && !word.endsWith("ss") && !word.endsWith("us")) {
    return word.slice(0, -1);
  }
  return word;
}

/** Lower-case singular words, accents dropped, known split compounds joined. */
export function wordsOf(text: string): string[] {
  const raw = text
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .split(/[^a-z]+/)
    .filter(Boolean)
    .map(singular);
  const words: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const joined = JOINED[`${raw[i]} ${raw[i + 1]}`];
    if (joined) {
      words.push(joined);
      i++;
    } else {
      words.push(raw[i] ?? "");
    }
  }
  return words;
}

interface ColourAt {
  name: string;
  colour: Hsl;
  /** How many words it spans, modifier included. */
  length: number;
  material: boolean;
  hair: boolean;
}

/** The colour (or material) starting at word i, if any: "light blue", "navy blue", "leather". */
function colourAt(words: readonly string[], i: number): ColourAt | undefined {
  const word = words[i] ?? "";
  const modifier = MODIFIERS[word];
  if (modifier) {
    // One modifier only ("light blue"); no recursion on "dark dark dark…".
    if (MODIFIERS[words[i + 1] ?? ""]) return undefined;
    const next = colourAt(words, i + 1);
    return next && !next.material
      ? {
          ...next,
          name: `${word} ${next.name}`,
          colour: modifier(next.colour),
          length: 1 + next.length,
        }
      : undefined;
  }
  const pair = `${word} ${words[i + 1] ?? ""}`;
  const compound = COMPOUND_COLOURS[pair];
  if (compound) return { name: pair, colour: compound, length: 2, material: false, hair: false };
  const plain = COLOURS[word];
  if (plain) return { name: word, colour: plain, length: 1, material: false, hair: false };
  const hair = HAIR_COLOURS[word];
  if (hair) return { name: word, colour: hair, length: 1, material: false, hair: true };
  const material = MATERIALS[word];
  if (material) return { name: word, colour: material, length: 1, material: true, hair: false };
  return undefined;
}

/** Reads the kind of object and the colours from what the user typed. Pure and fast. */
export function readCues(text: string): Cues {
  const words = wordsOf(text);
  const colours: ColourMention[] = [];
  // Which words are (parts of) colours, so "bottle green" is not read as a bottle.
  const colourWord = new Array<boolean>(words.length).fill(false);
  const segmentOf = new Array<number>(words.length).fill(0);
  let segment = 0;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? "";
    if (SETTING.has(word)) segment++;
    // "in a kitchen" moves to the setting; "in red", "in black leather" still describe the object.
    if (word === "in" && !colourAt(words, i + 1)) segment++;
    segmentOf[i] = segment;
  }
  for (let i = 0; i < words.length; i++) {
    const found = colourAt(words, i);
    if (!found) continue;
    for (let k = i; k < i + found.length; k++) colourWord[k] = true;
    let j = i + found.length;
    while (j < words.length && (COLOUR_GLUE.has(words[j] ?? "") || colourAt(words, j))) {
      j += colourAt(words, j)?.length ?? 1;
    }
    const noun = words[j];
    colours.push({
      name: found.name,
      colour: found.colour,
      ...(noun && !NOT_A_NOUN.has(noun) ? { noun } : {}),
      segment: segmentOf[i] ?? 0,
      material: found.material,
      hair: found.hair,
    });
    i += found.length - 1;
  }
  const kindAt = chooseKind(words, colourWord);
  const kind = kindAt === undefined ? undefined : KIND_WORDS[words[kindAt] ?? ""];
  return {
    ...(kind ? { kind } : {}),
    kindSegment: kindAt === undefined ? 0 : (segmentOf[kindAt] ?? 0),
    colours,
    words: new Set(words),
  };
}

/**
 * The index of the word naming the object: in the first phrase that names a kind, the last
 * kind word (English puts the head noun last: "laptop bag" is a bag, "phone case" a phone).
 */
function chooseKind(words: readonly string[], colourWord: readonly boolean[]): number | undefined {
  let best: number | undefined;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? "";
    if (SETTING.has(word) || PHRASE_BREAK.has(word)) {
      if (best !== undefined) return best;
      continue;
    }
    if (!colourWord[i] && KIND_WORDS[word]) best = i;
  }
  return best;
}

/** The kind of object the words name, or the generic "box" when they name none the sketch knows. */
export function productKindOf(text: string): ProductKind {
  return readCues(text).kind ?? "box";
}

/** Whether a word names a kind of object (for telling an object's parts from the object). */
export function kindOfWord(word: string): ProductKind | undefined {
  return KIND_WORDS[word];
}

/** An Hsl as an SVG colour, optionally lighter/darker by dl points and translucent. */
export function css(x: Hsl, dl = 0, alpha = 1): string {
  const l = clamp(x.l + dl, 0, 100);
  const rgb = `hsl(${Math.round(x.h)},${Math.round(x.s)}%,${Math.round(l)}%)`;
  return alpha === 1
    ? rgb
    : `hsla(${Math.round(x.h)},${Math.round(x.s)}%,${Math.round(l)}%,${alpha})`;
}

/** Words for what is behind the subject: a colour on one of these colours the backdrop. */
export const BACKGROUND_WORDS: ReadonlySet<string> = new Set([
  "background",
  "backdrop",
  "wall",
  "bg",
  "sweep",
]);

/** Parts of an object: "with red laces" colours the accent, not the whole shoe. */
const PART_WORDS = new Set([
  "lace",
  "shoelace",
  "sole",
  "outsole",
  "midsole",
  "toe",
  "stripe",
  "swoosh",
  "logo",
  "strap",
  "band",
  "bracelet",
  "buckle",
  "dial",
  "face",
  "cable",
  "cord",
  "wire",
  "handle",
  "cap",
  "lid",
  "label",
  "leg",
  "cushion",
  "pad",
  "earpad",
  "shade",
  "base",
  "stand",
  "screen",
  "wallpaper",
  "keyboard",
  "case",
  "trim",
  "accent",
  "detail",
  "zipper",
  "zip",
  "pocket",
  "rim",
  "wheel",
  "window",
  "roof",
  "frame",
  "button",
  "tape",
  "ribbon",
  "bow",
]);

/**
 * The colours of a product picture: the object's main colour and accent (from the words that
 * describe the object: "red and white sneakers", "a silver watch with a black strap"), and a
 * backdrop colour when one is named ("on a black background"). Colours of the setting
 * ("on a wooden table") do not colour the object. A material stands in when no colour is named.
 */
export function productColours(cues: Cues): { main?: Hsl; accent?: Hsl; background?: Hsl } {
  let background: Hsl | undefined;
  const whole: ColourMention[] = [];
  const parts: ColourMention[] = [];
  for (const mention of cues.colours) {
    if (mention.noun && BACKGROUND_WORDS.has(mention.noun)) {
      background ??= mention.colour;
    } else if (mention.segment === cues.kindSegment) {
      const isPart =
        mention.noun !== undefined &&
        (PART_WORDS.has(mention.noun) ||
          (kindOfWord(mention.noun) !== undefined && kindOfWord(mention.noun) !== cues.kind));
      (isPart ? parts : whole).push(mention);
    }
  }
  const byPriority = (list: ColourMention[]) => [
    ...list.filter((m) => !m.material),
    ...list.filter((m) => m.material),
  ];
  const main = byPriority(whole)[0];
  const accent = byPriority([...parts, ...whole]).find((m) => m !== main);
  return {
    ...(main ? { main: main.colour } : {}),
    ...(accent ? { accent: accent.colour } : {}),
    ...(background ? { background } : {}),
  };
}

/**
 * Colours sorted into a scene's roles by the word they describe ("blue sky" → sky), with
 * hair-colour words going to `hairRole`; everything else, colours before materials, in `rest`.
 */
export function colourRoles<R extends string>(
  cues: Cues,
  roles: Record<R, ReadonlySet<string>>,
  hairRole?: NoInfer<R>,
): { byRole: Partial<Record<R, Hsl>>; rest: Hsl[] } {
  const byRole: Partial<Record<R, Hsl>> = {};
  const rest: ColourMention[] = [];
  const names = Object.keys(roles) as R[];
  for (const mention of cues.colours) {
    const noun = mention.noun;
    const role =
      mention.hair && hairRole ? hairRole : names.find((r) => noun && roles[r].has(noun));
    if (role) byRole[role] ??= mention.colour;
    else rest.push(mention);
  }
  return {
    byRole,
    rest: [...rest.filter((m) => !m.material), ...rest.filter((m) => m.material)].map(
      (m) => m.colour,
    ),
  };
}
