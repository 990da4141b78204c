/**
 * The console's view of `@nanobanana/client`. Every call goes through the SDK's NanoBanana
 * class; this file only names the methods the console uses, with the signatures planned for
 * the ones the SDK is still gaining, so the pages type-check against one interface.
 */
import type {
  AspectRatio,
  GenerationRecord,
  GenerationStatus,
  HistoryPage,
  NanoBanana,
  Quality,
  RequestOptions,
} from "@nanobanana/client";

export interface Me {
  userId: string;
  admin: boolean;
  keyId: string | null;
}

export interface ClassifyResult {
  domain: string;
  subcategory: string;
  confidence: number;
  alternatives: Array<{ domain: string; subcategory: string; confidence?: number; score?: number }>;
  certainty?: string;
}

export interface EnhanceResult {
  enhancedPrompt: string;
  template: { id: string; version?: number; variant?: string };
  words?: { in: number; out: number };
  classification?: ClassifyResult;
}

export interface CostSeriesPeriod {
  period: string;
  from: string;
  to: string;
  usd: number;
  savedUsd: number;
  images: number;
  cacheHits: number;
  byModel: Array<{ model: string; usd: number; images: number }>;
  byQuality: Array<{ quality: string; usd: number; images: number }>;
}

export interface CostSeries {
  by?: "day" | "week" | "month";
  periods: CostSeriesPeriod[];
  budget: { monthlyUsd: number | null; monthToDateUsd: number };
}

export interface AdminStatsHour {
  hour: string;
  completed: number;
  failed: number;
  canceled: number;
  cacheHits: number;
  errors: Record<string, number>;
  confidence: number[];
}

export interface AdminStats {
  hours: AdminStatsHour[];
  queues: Record<string, Record<string, number>>;
  throughput: { completed: number[]; failed: number[] };
}

export interface TemplateStat {
  template: string;
  variant: string;
  generations: number;
  up: number;
  down: number;
  feedbackRate?: number | null;
  upRate: number | null;
}

export interface ApiKeyInfo {
  keyId: string;
  userId: string;
  admin: boolean;
  createdAt: string;
  revokedAt: string | null;
}

export interface CreatedKey {
  key: string;
  keyId: string;
  userId: string;
  admin: boolean;
  createdAt: string;
}

export interface HistoryFilters {
  limit?: number;
  cursor?: string;
  status?: GenerationStatus;
  domain?: string;
  from?: string;
  to?: string;
  signal?: AbortSignal;
}

/** What the console calls on NanoBanana (see packages/client). */
export interface ConsoleSdk {
  me(options?: RequestOptions): Promise<Me>;
  classify(prompt: string, options?: RequestOptions): Promise<ClassifyResult>;
  enhance(
    input: { prompt: string; quality?: Quality; aspectRatio?: AspectRatio },
    options?: RequestOptions,
  ): Promise<EnhanceResult>;
  history(options: HistoryFilters): { pages(): AsyncIterable<HistoryPage> };
  costSeries(
    options: RequestOptions & { by?: "day" | "week" | "month"; count?: number },
  ): Promise<CostSeries>;
  generations: NanoBanana["generations"] & {
    feedback(
      id: string,
      input: { rating: "up" | "down"; comment?: string },
      options?: RequestOptions,
    ): Promise<unknown>;
    thumbnail(
      id: string,
      options?: RequestOptions & { size?: 128 | 256 | 512 },
    ): Promise<{ bytes: Uint8Array; mimeType: string }>;
  };
  admin: {
    stats(options?: RequestOptions & { hours?: number }): Promise<AdminStats>;
    templateStats(options?: RequestOptions): Promise<TemplateStat[]>;
    keys: {
      list(options?: RequestOptions): Promise<ApiKeyInfo[]>;
      create(
        input: { userId: string; admin?: boolean },
        options?: RequestOptions,
      ): Promise<CreatedKey>;
      revoke(keyId: string, options?: RequestOptions): Promise<unknown>;
    };
  };
}

export type Sdk = Omit<NanoBanana, "history" | "generations"> & ConsoleSdk;

/** The client, typed with the methods the console uses. */
export const asSdk = (nb: NanoBanana): Sdk => nb as unknown as Sdk;

export type { GenerationRecord };
