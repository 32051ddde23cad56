// How an SPA uses the SDK (compiled with the SDK by the tests; see README.md).
import { client } from "./src/client.gen";
import { entriesList, planGet, planPatch, registrationCancel, registrationCreate, sync } from "./src";
import type { PlanPatch, SyncBatch } from "./src";

client.setConfig({ baseUrl: "https://magnet.example.org" });

export async function search(q: string): Promise<string[]> {
  const { data } = await entriesList({ query: { q, lang: "sl", facets: true } });
  return data?.items.map((entry) => entry.title.sl ?? entry.slug) ?? [];
}

export async function renamePlan(city: string, planId: string): Promise<number | undefined> {
  const current = await planGet({ path: { city, plan_id: planId } });
  const patch: PlanPatch = { title: { sl: "Prenova stanovanj", en: "Housing renewal" } };
  const etag = current.response.headers.get("ETag") ?? "";
  const { data } = await planPatch({
    path: { city, plan_id: planId },
    headers: { "If-Match": etag },
    body: patch,
  });
  return data?.version;
}

export async function registerAndCancel(eventId: string): Promise<void> {
  const { data, response } = await registrationCreate({
    path: { event_id: eventId },
    headers: { "Idempotency-Key": crypto.randomUUID() },
    body: { name: "Ana Novak", email: "ana@example.org", consent: true },
  });
  // A replay to an anonymous caller carries no cancel token: only the first answer does.
  if (data === undefined || data.cancel_token === null) return;
  await registrationCancel({
    path: { event_id: eventId, registration_id: data.id },
    headers: { "X-Cancel-Token": data.cancel_token, "If-Match": response.headers.get("ETag") ?? "" },
  });
}

export async function pushBatch(city: string, token: string): Promise<boolean> {
  const batch: SyncBatch = {
    plans: [{ external_id: "P-1", challenge: "housing", title: { hr: "Stanovanje" } }],
  };
  const { data } = await sync({ path: { city }, body: batch, auth: token });
  return data?.applied ?? false;
}
