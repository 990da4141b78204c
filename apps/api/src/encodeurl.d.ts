// encodeurl (Express's own, for res.location) ships no types.
declare module "encodeurl" {
  /** Percent-encodes what a URL may not hold as is, leaving existing escapes alone. */
  export default function encodeUrl(url: string): string;
}
