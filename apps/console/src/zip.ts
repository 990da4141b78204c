import { zipSync } from "fflate";

/**
 * A zip of finished images, stored without compression (PNG, WebP and JPEG are compressed
 * already). Synchronous on purpose: fflate's async form starts Web Workers from blob: URLs,
 * which the console's CSP (scripts from 'self' only) does not allow.
 */
export function zipImages(files: Array<{ name: string; bytes: Uint8Array }>): Uint8Array {
  const entries: Record<string, [Uint8Array, { level: 0 }]> = {};
  for (const file of files) {
    let name = file.name;
    for (let n = 2; name in entries; n++) name = file.name.replace(/(\.[^.]+)?$/, `-${n}$1`);
    entries[name] = [file.bytes, { level: 0 }];
  }
  return zipSync(entries);
}
