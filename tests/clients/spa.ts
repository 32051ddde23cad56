// The calls an SPA makes, typed by openapi-typescript from the merged document. Compiled
// with `tsc --strict` by tests/clients/test_typescript.py; it never runs. Each
// `@ts-expect-error` is a mistake the types must catch (tsc fails if they do not).
import type { components, paths } from "./openapi";

type Schemas = components["schemas"];
const base = "http://localhost:8000";

// Catalog search with facets.
type Search = paths["/api/v1/catalog/entries"]["get"];
export async function search(q: string): Promise<string[]> {
  const query: NonNullable<Search["parameters"]["query"]> = { q, lang: "sl", facets: true };
  const response = await fetch(`${base}/api/v1/catalog/entries?${new URLSearchParams(query as Record<string, string>)}`);
  const page: Search["responses"]["200"]["content"]["application/json"] = await response.json();
  return page.items.map((entry: Schemas["EntryListItem"]) => entry.title.sl ?? entry.slug);
}

// A typed merge patch of a plan, sent with the ETag last read.
type PlanPatch = paths["/api/v1/transfer/cities/{city}/plans/{plan_id}"]["patch"];
export async function renamePlan(city: string, id: string, etag: string): Promise<Schemas["Plan"]> {
  const patch: PlanPatch["requestBody"]["content"]["application/merge-patch+json"] = {
    title: { sl: "Prenova stanovanj", en: "Housing renewal" },
    practice_ids: null,
  };
  const headers: PlanPatch["parameters"]["header"] = { "If-Match": etag };
  const response = await fetch(`${base}/api/v1/transfer/cities/${city}/plans/${id}`, {
    method: "PATCH",
    headers: { ...headers, "Content-Type": "application/merge-patch+json" },
    body: JSON.stringify(patch),
  });
  return (await response.json()) as PlanPatch["responses"]["200"]["content"]["application/json"];
}
// @ts-expect-error If-Match is required where 428 is answered.
const withoutIfMatch: PlanPatch["parameters"]["header"] = {};
// @ts-expect-error A patch names fields of the plan only.
const unknownField: Schemas["PlanPatch"] = { colour: "red" };

// Registration, then managing it with the cancel token.
type Register = paths["/api/v1/participation/events/{event_id}/registrations"]["post"];
type Cancel = paths["/api/v1/participation/events/{event_id}/registrations/{registration_id}"]["delete"];
export async function register(eventId: string): Promise<void> {
  const body: Register["requestBody"]["content"]["application/json"] = {
    name: "Ana Novak",
    email: "ana@example.org",
    consent: true,
  };
  const response = await fetch(`${base}/api/v1/participation/events/${eventId}/registrations`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Idempotency-Key": crypto.randomUUID() },
    body: JSON.stringify(body),
  });
  const created: Register["responses"]["201"]["content"]["application/json"] = await response.json();
  // A replay to an anonymous caller carries no cancel token: only the first answer does.
  if (created.cancel_token === null) return;
  const headers: Cancel["parameters"]["header"] = {
    "X-Cancel-Token": created.cancel_token,
    "If-Match": response.headers.get("ETag") ?? "",
  };
  await fetch(`${base}/api/v1/participation/events/${eventId}/registrations/${created.id}`, {
    method: "DELETE",
    headers,
  });
}

// A partner system's sync batch.
type Sync = paths["/api/v1/transfer/cities/{city}/sync"]["post"];
export async function sync(city: string): Promise<Schemas["SyncAnswer"]> {
  const batch: Sync["requestBody"]["content"]["application/json"] = {
    plans: [{ external_id: "P-1", challenge: "housing", title: { hr: "Stanovanje" } }],
    milestones: [
      { external_id: "M-1", plan_external_id: "P-1", title: { hr: "Početak" }, due: "2027-03-01" },
    ],
  };
  const response = await fetch(`${base}/api/v1/transfer/cities/${city}/sync`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(batch),
  });
  return (await response.json()) as Sync["responses"]["200"]["content"]["application/json"];
}
// @ts-expect-error A record carries the partner's own external_id.
const withoutKey: Schemas["PlanRecord"] = { challenge: "housing", title: { hr: "Stanovanje" } };

export const mistakes = [withoutIfMatch, unknownField, withoutKey];
