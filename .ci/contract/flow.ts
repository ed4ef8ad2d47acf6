// A frontend team's first flow, written against the types generated from the committed
// contract and run against the real server: create a course, complete its equality impact
// assessment with a merge patch and If-Match, publish it, find it in the training matrix, and
// page through the learners. No type assertions and no `any`: if the contract and the server
// disagree, this fails to compile or fails when it runs.
import createClient from "openapi-fetch";
import type { paths } from "./generated/pathway.js";

const baseUrl = process.env.PATHWAY_URL;
const token = process.env.PATHWAY_TOKEN;
if (!baseUrl || !token) {
  throw new Error("set PATHWAY_URL and PATHWAY_TOKEN");
}
const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

function check(condition: boolean, what: string): void {
  if (!condition) {
    throw new Error(what);
  }
  console.log(`ok: ${what}`);
}

const code = `TS-${Date.now().toString(36).toUpperCase()}`.slice(0, 20);
const created = await client.POST("/v1/courses", {
  body: {
    code,
    title: "Safeguarding adults: a refresher",
    pillar: "essential",
    category: "knowledge_based",
    offer: "mandatory",
    audience: "employees",
    delivery: "elearning",
    provider: "In-house",
    validity_months: 36,
  },
});
if (!created.data) {
  throw new Error(`create: ${created.response.status} ${JSON.stringify(created.error)}`);
}
const course = created.data;
check(course.status === "draft" && course.code === code, "a new course is a draft");
const etag = created.response.headers.get("ETag");
check(etag !== null, "the course carries an ETag");

const patched = await client.PATCH("/v1/courses/{id}", {
  params: { path: { id: course.id }, header: { "If-Match": etag ?? "" } },
  headers: { "Content-Type": "application/merge-patch+json" },
  body: {
    equality_impact_assessment: {
      status: "completed",
      completed_on: "2026-11-30",
      summary: "No adverse impact; captions on every video.",
    },
  },
});
if (!patched.data) {
  throw new Error(`patch: ${patched.response.status} ${JSON.stringify(patched.error)}`);
}
check(patched.data.equality_impact_assessment.status === "completed", "the assessment is completed");
check(patched.data.title === course.title, "a merge patch leaves the other fields alone");

const stale = await client.PATCH("/v1/courses/{id}", {
  params: { path: { id: course.id }, header: { "If-Match": etag ?? "" } },
  headers: { "Content-Type": "application/merge-patch+json" },
  body: { description: "An edit made from an old copy." },
});
check(stale.response.status === 412 && stale.error?.status === 412, "a stale ETag is refused");

const published = await client.POST("/v1/courses/{id}/publish", {
  params: { path: { id: course.id } },
});
check(published.data?.status === "published", "the course is published");

const matrix = await client.GET("/v1/training-matrix", {
  params: { query: { audience: "employees" } },
});
if (!matrix.data) {
  throw new Error(`matrix: ${matrix.response.status}`);
}
check(matrix.data.cells.length === 8, "the matrix has its eight cells");
const cell = matrix.data.cells.find((c) => c.category === "knowledge_based" && c.column === "mandatory");
check(cell?.courses.some((c) => c.id === course.id) ?? false, "the course is in its cell of the matrix");

const seen = new Set<string>();
let cursor: string | undefined;
let pages = 0;
do {
  const page = await client.GET("/v1/learners", { params: { query: { limit: 7, cursor } } });
  if (!page.data) {
    throw new Error(`learners: ${page.response.status} ${JSON.stringify(page.error)}`);
  }
  for (const learner of page.data.items) {
    check(!seen.has(learner.id), `learner ${learner.email} is listed once`);
    seen.add(learner.id);
  }
  cursor = page.data.next_cursor ?? undefined;
  pages += 1;
} while (cursor !== undefined);
check(pages > 1 && seen.size > 7, `${seen.size} learners over ${pages} pages`);
