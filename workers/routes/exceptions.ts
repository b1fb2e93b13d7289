import { createRoute } from "@hono/zod-openapi";
import { ExceptionPage, ExceptionsQuery } from "../../shared/schemas/exceptions.ts";
import { authorize } from "../auth.ts";
import { exceptionQueue } from "../objects.ts";
import { createRouter, json, problems, security } from "../openapi.ts";

const list = createRoute({
  method: "get",
  path: "/v1/exceptions",
  tags: ["Exceptions"],
  summary: "What a person should look at, oldest first: reservations a store sale left short, unknown SKUs, …",
  security,
  request: { query: ExceptionsQuery },
  responses: { 200: json(ExceptionPage, "A page of exceptions"), ...problems },
});

export const exceptionRoutes = createRouter().openapi(list, async (c) => {
  const { type, state, cursor, limit } = c.req.valid("query");
  const { principal } = await authorize(c, { roles: ["admin", "readonly"] });
  return c.json(await exceptionQueue(c.env, principal.tenantId).list({ type, state }, Number(cursor ?? 0), limit), 200);
});
