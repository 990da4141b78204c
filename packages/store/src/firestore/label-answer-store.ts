import type { LabelAnswer, LabelAnswerStore } from "../store.ts";
import { expiresIn, type FirestoreContext, toDate } from "./shared.ts";

/** Second opinions on prompts' labels (labelAnswers/{key}, with expiresAt) in Firestore. */
export function firestoreLabelAnswerStore({ collections }: FirestoreContext): LabelAnswerStore {
  const { labelAnswers } = collections;
  return {
    async getLabelAnswer(key) {
      const data = (await labelAnswers.doc(key).get()).data() as
        | (LabelAnswer & { expiresAt: Date })
        | undefined;
      // TTL deletion lags by up to a day: an expired answer is not served meanwhile.
      if (!data || toDate(data.expiresAt) < new Date()) return null;
      const { expiresAt: _expiresAt, ...answer } = data;
      return answer;
    },
    async putLabelAnswer(answer, ttlSeconds) {
      await labelAnswers.doc(answer.key).set({ ...answer, expiresAt: expiresIn(ttlSeconds) });
    },
  };
}
