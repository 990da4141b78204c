import type { NanoBanana as Sdk } from "@nanobanana/client";
import { explain } from "../errors.ts";
import { useThumbnail } from "../images.tsx";

/** A generation's thumbnail, or what stands in for it while it is not drawn. */
export function Thumb({
  nb,
  id,
  status,
  alt,
}: {
  nb: Sdk;
  id: string;
  status: string;
  alt: string;
}) {
  const image = useThumbnail(nb, id, status === "completed");
  if (status !== "completed") {
    return (
      <div className={`thumb thumb-${status}`}>
        {status === "queued" || status === "processing" ? (
          <span className="spinner" aria-hidden="true" />
        ) : null}
        <span className="thumb-state">{status}</span>
      </div>
    );
  }
  if (image.state === "ready") return <img className="thumb" src={image.url} alt={alt} />;
  if (image.state === "error") {
    return (
      <div className="thumb thumb-failed" title={explain(image.error).detail}>
        <span className="thumb-state">no preview</span>
      </div>
    );
  }
  return (
    <div className="thumb thumb-loading" aria-hidden="true">
      <span className="spinner" />
    </div>
  );
}
