import {
  getArgumentValues,
  getNamedType,
  GraphQLError,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isLeafType,
  isObjectType,
  Kind,
  type FieldNode,
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type SelectionSetNode,
  type ValidatedExecutionArgs,
} from "graphql";

/**
 * What a cost model sees of a request: the operation graphql-js chose, its
 * fragments and its coerced variables (so `first: $first` is a number).
 */
export type CostedRequest = Pick<ValidatedExecutionArgs, "schema" | "operation" | "fragments" | "variableValues">;

/** The requested cost of one request, in Shopify's points; charged before execution. */
export type CostModel = (request: CostedRequest) => number;

export interface CostWeights {
  /** Any mutation, whatever it selects. Shopify's default, per its engineering blog: 10. */
  mutation: number;
  /** A field that returns an object, interface or union (a list without a size counts once). */
  object: number;
  /** A connection itself, before its items. Shopify's docs: 2. */
  connection: number;
}

export const shopifyWeights: CostWeights = { mutation: 10, object: 1, connection: 2 };

/**
 * Shopify's documented rules, as far as the fake's schema needs them:
 * - a mutation costs a flat `mutation` (10);
 * - a scalar or enum field costs 0; a field returning an object costs
 *   `object` (1) plus its selection; on an interface or union, the most
 *   expensive of the possible types' selections;
 * - a connection (a `…Connection` type) with `first: N` (or `last`) costs
 *   `connection` (2) plus N × one item, an item being what `nodes` selects
 *   (the node object plus its object fields); `pageInfo` is part of the 2;
 * - `nodes(ids:)` is a list whose size is known: ids.length × (the node
 *   object plus its object fields).
 *
 * So `productVariants(first: 250) { nodes { sku inventoryItem { id } } }`
 * costs 2 + 250 × 2 = 502, and `nodes(ids: [n ids]) { ... on InventoryItem
 * { id inventoryLevel(…) { quantities(…) { name quantity } } } }` costs 3n.
 * Shopify refunds the difference to the actual cost after execution; this
 * model has no actual cost, the fake charges the requested one.
 *
 * @example
 * const fake = await FakeShopifyAdmin.start({ costModel: shopifyCostModel({ mutation: 25 }) });
 */
export function shopifyCostModel(weights: Partial<CostWeights> = {}): CostModel {
  const w = { ...shopifyWeights, ...weights };
  return (request) => {
    if (request.operation.operation !== "query") return w.mutation;
    const root = request.schema.getQueryType();
    return root ? selectionCost(request, w, request.operation.selectionSet, root) : 0;
  };
}

function selectionCost(request: CostedRequest, w: CostWeights, selectionSet: SelectionSetNode, type: GraphQLCompositeType): number {
  if (!isAbstractType(type)) return concreteCost(request, w, selectionSet, type);
  return Math.max(0, ...request.schema.getPossibleTypes(type).map((possible) => concreteCost(request, w, selectionSet, possible)));
}

/** The cost of a selection on one object type: its fields, and the fragments that apply to that type. */
function concreteCost(request: CostedRequest, w: CostWeights, selectionSet: SelectionSetNode, type: GraphQLObjectType): number {
  let total = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      total += fieldCost(request, w, selection, type);
      continue;
    }
    const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : request.fragments[selection.name.value]?.definition;
    if (!fragment) continue;
    const condition = fragment.typeCondition ? request.schema.getType(fragment.typeCondition.name.value) : type;
    if (condition === type || (condition && isAbstractType(condition) && request.schema.isSubType(condition, type))) {
      total += concreteCost(request, w, fragment.selectionSet, type);
    }
  }
  return total;
}

function fieldCost(request: CostedRequest, w: CostWeights, node: FieldNode, parent: GraphQLObjectType): number {
  const definition = parent.getFields()[node.name.value];
  if (!definition || !node.selectionSet) return 0;
  const named = getNamedType(definition.type);
  if (isLeafType(named)) return 0;
  const args = getArgumentValues(definition, node, request.variableValues);
  if (named.name.endsWith("Connection") && isObjectType(named)) {
    const size = Number(args["first"] ?? args["last"] ?? 0);
    const items = node.selectionSet.selections.filter((s): s is FieldNode => s.kind === Kind.FIELD && s.name.value === "nodes");
    const item = items.reduce((sum, field) => sum + fieldCost(request, w, field, named), 0);
    return w.connection + size * item;
  }
  const children = w.object + selectionCost(request, w, node.selectionSet, named);
  if (parent === request.schema.getQueryType() && node.name.value === "nodes" && Array.isArray(args["ids"])) return args["ids"].length * children;
  return children;
}

/** The limits Shopify checks before it runs a request, besides its cost. */
export type LimitKind = "max_input_size_exceeded" | "page_size_exceeded";

/** Shopify refuses, before running anything, an input array longer than 250 anywhere and a page (`first`) above 250. */
export function inputLimitError(validated: ValidatedExecutionArgs, limit: number): { kind: LimitKind; error: GraphQLError } | null {
  const { schema } = validated;
  const rootType = validated.operation.operation === "mutation" ? schema.getMutationType() : schema.getQueryType();
  if (!rootType) return null;
  for (const call of fieldCalls(validated, validated.operation.selectionSet, rootType, [])) {
    const long = longArray(call.args, limit, []);
    if (long) {
      const message = `The input array size of ${long.size} is greater than the maximum allowed of ${limit}.`;
      const error = new GraphQLError(message, { nodes: call.node, path: [...call.path, ...long.path], extensions: { code: "MAX_INPUT_SIZE_EXCEEDED" } });
      return { kind: "max_input_size_exceeded", error };
    }
    const page = call.args["first"] ?? call.args["last"];
    if (call.returns.endsWith("Connection") && typeof page === "number" && (page > limit || page < 0)) {
      // The wording of Shopify's own refusal is not in our sources; the limit is.
      const error = new GraphQLError(`The page size (first: ${page}) must be between 0 and ${limit}.`, { nodes: call.node, path: call.path, extensions: { code: "BAD_REQUEST" } });
      return { kind: "page_size_exceeded", error };
    }
  }
  return null;
}

interface FieldCall {
  node: FieldNode;
  path: string[];
  returns: string;
  args: Record<string, unknown>;
}

/** Every field the operation selects (through fragments), with its coerced arguments. */
function* fieldCalls(validated: ValidatedExecutionArgs, selectionSet: SelectionSetNode, parent: GraphQLCompositeType, path: string[]): Generator<FieldCall> {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[selection.name.value] : undefined;
      if (!definition) continue;
      const fieldPath = [...path, selection.alias?.value ?? selection.name.value];
      const named = getNamedType(definition.type);
      yield { node: selection, path: fieldPath, returns: named.name, args: getArgumentValues(definition, selection, validated.variableValues) };
      if (selection.selectionSet && isCompositeType(named)) yield* fieldCalls(validated, selection.selectionSet, named, fieldPath);
      continue;
    }
    const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : validated.fragments[selection.name.value]?.definition;
    if (!fragment) continue;
    const condition = fragment.typeCondition ? validated.schema.getType(fragment.typeCondition.name.value) : parent;
    if (condition && isCompositeType(condition)) yield* fieldCalls(validated, fragment.selectionSet, condition, path);
  }
}

function longArray(value: unknown, limit: number, path: string[]): { path: string[]; size: number } | null {
  if (Array.isArray(value)) {
    if (value.length > limit) return { path, size: value.length };
    for (const [index, item] of value.entries()) {
      const found = longArray(item, limit, [...path, String(index)]);
      if (found) return found;
    }
    return null;
  }
  if (value === null || typeof value !== "object") return null;
  for (const [name, item] of Object.entries(value)) {
    const found = longArray(item, limit, [...path, name]);
    if (found) return found;
  }
  return null;
}
