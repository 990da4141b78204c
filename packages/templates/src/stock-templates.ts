import type { Quality, Subcategory } from "@nanobanana/domain";

/**
 * The 48 stock templates: 16 subcategories × 3 tiers. `lead` frames the subject (kept
 * verbatim in `{subject}`); each tier is its own list of clauses in the craft's words —
 * composition, light or rendering, lens or medium, finish. Draft is terse so cheap models
 * stay on target; premium spells out what a specialist would ask for.
 *
 * Bump TEMPLATE_VERSION whenever any wording changes: cached images are keyed on it.
 */
export const TEMPLATE_VERSION = 1;

export interface StockTemplate {
  lead: string;
  tiers: Record<Quality, readonly string[]>;
}

export const STOCK_TEMPLATES: Record<Subcategory, StockTemplate> = {
  portrait: {
    lead: "Professional portrait photograph of {subject}",
    tiers: {
      draft: ["head-and-shoulders framing", "soft window light", "natural skin tones, sharp eyes"],
      standard: [
        "head-and-shoulders framing on the rule of thirds with eyes on the upper third",
        "soft key light from a large window at 45 degrees with gentle fill",
        "85mm lens at f/2 for shallow depth of field and creamy background bokeh",
        "natural skin texture, accurate skin tones, catchlights in sharp eyes",
        "uncluttered, softly blurred background that separates the subject",
        "high-resolution, professional retouching",
      ],
      premium: [
        "editorial head-and-shoulders composition on the rule of thirds, eyes on the upper third, relaxed authentic expression",
        "large octabox key light at 45 degrees, subtle reflector fill from below, faint rim light to separate hair from background",
        "full-frame camera with an 85mm prime at f/1.8, focus locked on the nearest eye, smooth circular bokeh",
        "true-to-life skin texture with pores retained, accurate skin tones, crisp catchlights",
        "muted, tonally harmonious backdrop with gentle falloff",
        "colour-graded like a premium magazine portrait, clean highlights and open shadows",
        "ultra-detailed, high dynamic range, flawless professional retouching without plastic smoothing",
      ],
    },
  },
  landscape: {
    lead: "Landscape photograph of {subject}",
    tiers: {
      draft: ["wide view with a clear horizon", "golden hour light", "vivid natural colours"],
      standard: [
        "wide composition with a strong foreground element, leading lines into the scene and the horizon on the lower third",
        "golden hour side light raking across the terrain, long soft shadows",
        "wide-angle 24mm lens at f/11 for front-to-back sharpness",
        "rich but natural colours, detailed sky with texture in the clouds",
        "atmospheric depth through layered planes",
        "high-resolution, tack sharp",
      ],
      premium: [
        "layered composition with a textured foreground anchor, leading lines guiding the eye to the focal point, horizon placed on the lower third",
        "low golden-hour sun raking across the land, warm highlights against cool shadows, a touch of atmospheric haze for depth",
        "full-frame camera on a tripod, 16-35mm lens at f/11, focus-stacked for edge-to-edge sharpness",
        "graduated exposure holding detail in both sky and shadows, dramatic cloud structure",
        "natural, finely balanced colour grade in the style of a fine-art landscape print",
        "subtle sense of scale and stillness",
        "ultra-detailed, high dynamic range, 8K clarity, no oversaturation",
      ],
    },
  },
  product: {
    lead: "Studio product photograph of {subject}",
    tiers: {
      draft: [
        "centred on a seamless backdrop",
        "soft even studio light",
        "crisp focus on the product",
      ],
      standard: [
        "product centred at a three-quarter angle on a seamless backdrop",
        "softbox key light with a large diffused fill and a clean specular highlight that describes the form",
        "100mm macro lens at f/8 so the whole product is sharp",
        "accurate materials and colours, visible texture and fine details",
        "soft natural contact shadow grounding the object",
        "high-resolution commercial finish",
      ],
      premium: [
        "hero three-quarter angle, product centred with generous negative space on a seamless sweep",
        "three-light studio setup: large softbox key, strip-light rims tracing the edges, gentle fill card for shadow detail",
        "medium-format camera with a 120mm macro lens at f/11, focus-stacked so every edge is critical sharp",
        "faithful material rendering: metal reads as metal, glass with controlled reflections, fabric with visible weave",
        "soft contact shadow and a subtle reflection on the surface",
        "colour-accurate, dust-free, retouched to catalogue standard",
        "ultra-detailed, high dynamic range, clean gradients in the background",
      ],
    },
  },
  macro: {
    lead: "Macro photograph of {subject}",
    tiers: {
      draft: ["extreme close-up", "soft diffused light", "razor-thin depth of field"],
      standard: [
        "extreme close-up filling the frame with the subject's finest detail",
        "soft diffused light with a gentle backlight that makes edges glow",
        "100mm macro lens at 1:1 magnification, f/5.6",
        "razor-thin plane of focus on the key detail, smooth bokeh behind",
        "intricate textures and natural colour",
        "high-resolution, crisp micro-detail",
      ],
      premium: [
        "extreme close-up at 2:1 magnification, the key detail placed on a strong diagonal",
        "diffused twin flash for even light plus a soft backlight that rims translucent edges",
        "dedicated macro lens at f/8, focus-stacked across dozens of frames for depth with a silky background",
        "revealing micro-structures invisible to the naked eye: hairs, droplets, facets, cell patterns",
        "natural, delicate colour with clean separation from a softly blurred background",
        "scientific-illustration clarity with an artistic mood",
        "ultra-detailed, noise-free, exceptional sharpness",
      ],
    },
  },
  architecture: {
    lead: "System architecture diagram of {subject}",
    tiers: {
      draft: [
        "labelled boxes for each component",
        "arrows for data flow",
        "clean flat style on white",
      ],
      standard: [
        "components as clearly labelled rounded boxes grouped into layers: clients, edge, services, data",
        "directional arrows showing requests and data flow, labelled with protocols",
        "consistent icon set for databases, queues, caches and external services",
        "left-to-right reading order with aligned grid spacing",
        "restrained palette with one accent colour per layer on a white background",
        "crisp vector lines, legible sans-serif labels",
      ],
      premium: [
        "C4-style container view: labelled rounded boxes grouped into bounded zones for clients, edge, services, data and external systems",
        "directional arrows for every interaction, labelled with protocol and sync or async, no crossing lines",
        "standard cloud-style icons for load balancers, databases, queues, caches and storage",
        "strict grid alignment, even spacing and a clear left-to-right flow of a request",
        "muted palette with one accent colour per zone, a small legend and a title block",
        "professional technical-documentation quality, crisp vector rendering, legible sans-serif typography",
        "high resolution, white background, presentation-ready",
      ],
    },
  },
  flowchart: {
    lead: "Flowchart of {subject}",
    tiers: {
      draft: ["standard flowchart shapes", "arrows between steps", "clean flat style on white"],
      standard: [
        "standard shapes: rounded start and end, rectangles for steps, diamonds for decisions with yes and no branches",
        "top-to-bottom flow with arrows that never cross",
        "short, legible labels in every shape",
        "consistent spacing on an aligned grid",
        "calm palette with decisions highlighted in one accent colour on a white background",
        "crisp vector lines, presentation-ready",
      ],
      premium: [
        "ISO 5807 flowchart conventions: rounded terminators, process rectangles, decision diamonds with labelled yes and no branches, data parallelograms",
        "swimlanes for each actor where responsibilities change hands",
        "single top-to-bottom main path with exceptions branching to the right, orthogonal arrows that never cross",
        "concise verb-first labels in a legible sans-serif typeface",
        "strict grid alignment and even spacing",
        "calm palette, decisions and error paths picked out in accent colours, a small legend",
        "crisp vector rendering on white, documentation quality",
      ],
    },
  },
  wireframe: {
    lead: "UI wireframe of {subject}",
    tiers: {
      draft: [
        "grayscale low-fidelity layout",
        "placeholder boxes for images",
        "clear content hierarchy",
      ],
      standard: [
        "grayscale mid-fidelity wireframe on a 12-column grid with consistent 8px spacing",
        "clear hierarchy: header with navigation, primary content area, call-to-action buttons",
        "placeholder boxes with crossed lines for images and short labels for text blocks",
        "realistic component sizes for the target device",
        "annotations in the margin for key interactions",
        "clean vector lines, design-tool quality",
      ],
      premium: [
        "high-fidelity grayscale wireframe laid out on a 12-column grid with an 8px spacing system and generous whitespace",
        "unmistakable hierarchy: navigation, hero area, primary and secondary actions, content sections, footer",
        "real UI components: inputs, buttons, cards, tabs and tables at accessible touch-target sizes",
        "image placeholders with crossed lines, realistic text lengths instead of lorem ipsum",
        "numbered annotation callouts explaining interactions and states",
        "device frame matching the target platform",
        "crisp vector rendering in the style of a professional design-tool export",
      ],
    },
  },
  technical: {
    lead: "Technical drawing of {subject}",
    tiers: {
      draft: ["precise line drawing", "labelled parts", "white background"],
      standard: [
        "precise engineering line drawing with consistent line weights",
        "orthographic or isometric projection as suits the subject",
        "numbered callouts and leader lines labelling each part",
        "dimension lines and hidden edges shown dashed",
        "monochrome on white with a title block",
        "crisp vector quality suitable for documentation",
      ],
      premium: [
        "engineering drawing to drafting standards with a clear hierarchy of line weights for visible, hidden and centre lines",
        "isometric or exploded view where assembly matters, orthographic views where dimensions matter",
        "numbered balloons with leader lines and a parts list",
        "dimension and tolerance annotations in a clean technical typeface",
        "section hatching where the drawing cuts through material",
        "monochrome ink on white with a bordered title block",
        "blueprint precision, crisp vector rendering, patent-drawing clarity",
      ],
    },
  },
  painting: {
    lead: "Fine-art painting of {subject}",
    tiers: {
      draft: ["visible brushstrokes", "harmonious palette", "balanced composition"],
      standard: [
        "balanced composition with a clear focal point and supporting shapes",
        "traditional oil on canvas with visible, confident brushstrokes",
        "harmonious palette with warm lights and cool shadows",
        "soft painterly edges where forms turn, sharp edges at the focal point",
        "natural light with luminous highlights",
        "gallery-quality, rich texture",
      ],
      premium: [
        "masterful composition built on a clear focal point, a pleasing value structure and rhythm of shapes",
        "oil on linen canvas with layered glazes, impasto highlights and visible, expressive brushwork",
        "limited harmonious palette, warm lights against cool shadows, colour temperature used to model form",
        "lost and found edges: soft where forms turn away, crisp at the centre of interest",
        "luminous natural light with atmospheric perspective",
        "texture of the canvas weave and paint surface visible up close",
        "museum-quality finish, the feel of a work by an accomplished master",
      ],
    },
  },
  digital_art: {
    lead: "Digital illustration of {subject}",
    tiers: {
      draft: ["clean linework", "vibrant colours", "dynamic composition"],
      standard: [
        "dynamic composition with a strong silhouette and clear focal point",
        "clean confident linework with painterly digital shading",
        "vibrant, cohesive colour palette with strong value contrast",
        "dramatic lighting with rim light and atmospheric glow",
        "detailed focal area, simplified background",
        "polished, high-resolution concept-art finish",
      ],
      premium: [
        "cinematic composition with a strong readable silhouette, depth through foreground, midground and background",
        "refined linework with rich painterly rendering and crisp edge control",
        "cohesive colour script: a dominant palette with a complementary accent that leads the eye",
        "dramatic lighting: warm key, cool rim light, volumetric glow and particle effects",
        "intricate detail at the focal point, deliberate simplification elsewhere",
        "professional concept-art quality as seen in top artbooks",
        "ultra-high resolution, clean finish, no artefacts",
      ],
    },
  },
  "3d_render": {
    lead: "3D render of {subject}",
    tiers: {
      draft: ["clean studio lighting", "smooth materials", "soft shadows"],
      standard: [
        "three-quarter hero angle on a simple studio set",
        "physically based materials with accurate roughness and reflections",
        "three-point area lighting with soft shadows and subtle ambient occlusion",
        "shallow camera depth of field for focus on the subject",
        "clean colour palette with a soft gradient background",
        "high-resolution path-traced render",
      ],
      premium: [
        "hero three-quarter camera angle with a 50mm virtual lens, subject placed on a sculpted studio set",
        "physically based materials: believable roughness, subsurface scattering where organic, micro-surface imperfections",
        "global illumination with large area lights, HDRI environment reflections and soft contact shadows",
        "ray-traced reflections and refractions, subtle ambient occlusion in crevices",
        "physically accurate depth of field and gentle bloom on highlights",
        "refined colour palette with a clean gradient backdrop",
        "8K path-traced render quality, octane-level realism, noise-free",
      ],
    },
  },
  abstract: {
    lead: "Abstract artwork inspired by {subject}",
    tiers: {
      draft: ["bold shapes", "striking colour contrast", "balanced composition"],
      standard: [
        "non-representational composition of bold shapes and flowing lines",
        "deliberate balance of positive and negative space",
        "striking palette built on complementary contrast",
        "rich surface texture and layered transparency",
        "rhythm and movement leading the eye across the canvas",
        "high-resolution, gallery-quality finish",
      ],
      premium: [
        "non-representational composition where shape, line and colour carry the idea of the subject",
        "deliberate tension between geometric order and organic gesture",
        "sophisticated palette: a dominant field, a supporting harmony and one vivid accent",
        "layered translucent textures, subtle gradients and fine surface grain",
        "strong rhythm and directional movement, a clear visual anchor",
        "balanced negative space that lets the forms breathe",
        "museum-quality contemporary abstract, ultra-high resolution",
      ],
    },
  },
  ecommerce: {
    lead: "E-commerce product image of {subject}",
    tiers: {
      draft: ["centred on a pure white background", "even bright lighting", "true colours"],
      standard: [
        "product centred and filling about 85% of the frame on a pure white background",
        "even, bright, shadowless studio lighting with a soft ground shadow",
        "front three-quarter angle that shows shape and key features",
        "true-to-life colours and materials, every detail in sharp focus",
        "no props, no text, clean edges ready for a product page",
        "high-resolution, marketplace-compliant",
      ],
      premium: [
        "product centred and filling about 85% of the frame on pure white (#FFFFFF), marketplace-compliant",
        "high-key studio lighting from large softboxes, controlled reflections, a soft natural ground shadow",
        "front three-quarter hero angle that shows silhouette, key features and build quality",
        "colour-accurate materials and finishes, visible texture, labels crisp and legible",
        "focus-stacked edge-to-edge sharpness, clean cut-out edges",
        "no props, no added text, nothing that distracts from the product",
        "ultra-detailed, retouched to premium catalogue standard",
      ],
    },
  },
  lifestyle: {
    lead: "Lifestyle product photograph of {subject}",
    tiers: {
      draft: ["in a real everyday setting", "natural warm light", "authentic mood"],
      standard: [
        "the product in use in an authentic everyday setting, the product clearly the hero",
        "natural warm window light with soft shadows",
        "35mm lens at f/2.8, background gently blurred to keep context without clutter",
        "believable styling and props that suit the target customer",
        "candid, aspirational mood",
        "high-resolution, brand-ready",
      ],
      premium: [
        "the product naturally in use in a carefully styled, authentic setting, placed where the eye lands first",
        "soft natural window light with warm highlights, gentle shadows and a lived-in atmosphere",
        "full-frame camera, 35mm lens at f/2.8, selective focus on the product with context softly blurred",
        "props, wardrobe and location chosen for the target customer and the brand's tone",
        "candid, aspirational storytelling moment rather than a posed shot",
        "cohesive, warm colour grade suited to a brand campaign",
        "ultra-detailed, high dynamic range, ready for web and print",
      ],
    },
  },
  editorial: {
    lead: "Editorial product photograph of {subject}",
    tiers: {
      draft: ["styled magazine composition", "directional light", "refined palette"],
      standard: [
        "styled editorial composition with considered props and deliberate negative space for type",
        "directional light with defined, graphic shadows",
        "refined, cohesive colour palette echoing the product",
        "50mm lens, crisp focus across the arrangement",
        "a sense of story and taste rather than a catalogue shot",
        "high-resolution, magazine print quality",
      ],
      premium: [
        "art-directed editorial composition, flat lay or eye-level, with negative space reserved for headline and copy",
        "hard directional sunlight or a single strobe creating graphic shadows and texture",
        "refined tonal palette drawn from the product, complementary props in matching materials",
        "medium-format look, 80mm lens, crisp throughout with gentle tonal roll-off",
        "narrative styling that tells who the product is for",
        "colour grade of a high-end fashion or design magazine",
        "ultra-detailed, print-ready for a double-page spread",
      ],
    },
  },
  advertising: {
    lead: "Advertising key visual of {subject}",
    tiers: {
      draft: ["bold hero composition", "dramatic lighting", "space for a headline"],
      standard: [
        "bold hero composition with the product as the unmistakable focal point",
        "dramatic high-contrast lighting with rim light that makes the product pop",
        "clean negative space reserved for headline and call to action",
        "vivid brand-friendly colour palette",
        "dynamic angle that conveys energy",
        "high-resolution commercial finish",
      ],
      premium: [
        "iconic hero composition built around the product, low dynamic angle, strong graphic shapes",
        "dramatic studio lighting: sculpted key, glowing rim lights, controlled reflections, optional splash or motion elements",
        "generous, clean negative space placed for headline, tagline and call to action",
        "vivid, brand-led colour palette with a striking complementary accent",
        "premium materials rendered with perfect highlights and texture",
        "polished commercial retouching in the style of a global campaign",
        "ultra-detailed, high dynamic range, ready for billboard and social formats",
      ],
    },
  },
};
