import type { Preferences } from "@nanobanana/domain";
import type { PreferenceStore } from "../store.ts";
import type { FirestoreContext } from "./shared.ts";

/** Preferences in Firestore: the `preferences` field of users/{userId}. */
export function firestorePreferenceStore({ collections }: FirestoreContext): PreferenceStore {
  const { users } = collections;
  return {
    async getPreferences(userId) {
      return ((await users.doc(userId).get()).get("preferences") as Preferences | undefined) ?? {};
    },
    async setPreferences(userId, preferences) {
      // merge: keeps the user's other fields (the webhook secret); the preferences map is replaced whole.
      await users.doc(userId).set({ preferences }, { mergeFields: ["preferences"] });
    },
  };
}
