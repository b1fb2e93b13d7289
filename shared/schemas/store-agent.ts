import { z } from "@hono/zod-openapi";
import { Timestamp } from "./common.ts";
import { checkPosLoyalty, PosTransactionFields } from "./store-transactions.ts";

/*
 * Wire types of the store agent's local POS API
 * (the transaction and its receipt are shared/schemas/store-transactions.ts).
 */

export const PosItemPromotion = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    percentOff: z.number().int().nullable(),
    amountOff: z.number().int().nullable(),
    endsAt: Timestamp,
    discountedPrice: z.number().int().openapi({ description: "The unit price with this promotion, in minor units." }),
  })
  .openapi("PosItemPromotion");

export const PosItem = z
  .object({
    sku: z.string(),
    name: z.string(),
    barcodes: z.array(z.string()),
    price: z.number().int().openapi({ description: "The list price, in minor units." }),
    currency: z.string(),
    promotion: PosItemPromotion.nullable().openapi({ description: "The active promotion giving the lowest price, if any." }),
    stock: z
      .object({
        onHand: z.number().int(),
        available: z.number().int(),
        leased: z.number().int().openapi({ description: "Of the store's lease, the units the edge counted as safe to sell offline at updatedAt." }),
        maySellOffline: z
          .number()
          .int()
          .openapi({ description: "leased less the units of this item sold here since (waiting to be sent, or sent after updatedAt): what may still be sold while offline without leaving a channel's reservation uncovered. A sale beyond it is never refused." }),
        updatedAt: Timestamp,
      })
      .nullable()
      .openapi({ description: "The store's figures as of the last feed pull; sales not yet replayed are not in them." }),
    updatedAt: Timestamp,
  })
  .openapi("PosItem");
export type PosItem = z.infer<typeof PosItem>;

/** A customer as the till sees them at the store agent: the balance last known, and what the store may let them redeem without the edge. */
export const PosCustomer = z
  .object({
    customerId: z.string().openapi({ description: "The customer whose points move: send it as the sale's customerId." }),
    loyaltyId: z.string().nullable(),
    name: z.string().nullable(),
    balance: z.number().int().openapi({ description: "The customer's points as the edge reported them at asOf; sales not yet replayed are not in it." }),
    redeemableOffline: z
      .number()
      .int()
      .openapi({ description: "Points a sale may redeem now with the store's approval, online or not: what the store's hold at the edge locks, unless a sale here already used that hold or it has expired." }),
    holdExpiresAt: Timestamp.nullable().openapi({ description: "Until when the hold backs redeemableOffline (the agent's clock); null without a hold." }),
    asOf: Timestamp,
    source: z.enum(["edge", "cache"]).openapi({ description: "edge: asked just now; cache: the edge could not be reached, so what the store knew at asOf." }),
  })
  .openapi("PosCustomer");
export type PosCustomer = z.infer<typeof PosCustomer>;

const LinkError = z.object({ at: Timestamp, message: z.string(), status: z.number().int().optional(), code: z.string().optional() });

export const AgentStatus = z
  .object({
    location: z.string().nullable(),
    running: z.boolean().openapi({ description: "Whether an agent wrote its heartbeat in the last 15 seconds." }),
    online: z.boolean().nullable().openapi({ description: "Whether the last call to the edge got through; null (unknown) when no agent is running." }),
    backlog: z.number().int().openapi({ description: "Transactions recorded and not yet acknowledged by the edge." }),
    oldestPendingSequence: z.number().int().nullable(),
    oldestPendingAt: Timestamp.nullable(),
    oldestPendingAgeSeconds: z.number().nullable(),
    lastSequence: z.number().int(),
    lastSuccessfulPushAt: Timestamp.nullable(),
    lastSuccessfulPullAt: Timestamp.nullable(),
    lastPushError: LinkError.nullable(),
    lastPullError: LinkError.nullable(),
    deadLetters: z.number().int().openapi({ description: "Transactions the edge rejected for good; see the dead_letter table." }),
    edgeHighWaterMark: z.number().int().nullable().openapi({ description: "The edge has received every sequence number up to this one." }),
    edgeGaps: z.array(z.object({ from: z.number().int(), to: z.number().int() })),
    feedCursor: z.string().nullable(),
  })
  .openapi("AgentStatus");
export type AgentStatus = z.infer<typeof AgentStatus>;


/** The pairing code an admin got from `shelfsync-agent terminals pair`, exchanged once for the terminal's token. */
export const TerminalPairingRequest = z
  .object({
    code: z.string().trim().min(1).max(32).openapi({ example: "7KQ2-M9XD" }),
  })
  .strict()
  .openapi("TerminalPairingRequest");
export type TerminalPairingRequest = z.infer<typeof TerminalPairingRequest>;

export const TerminalPairing = z
  .object({
    terminalId: z.string().openapi({ example: "trm_3f9c1a7b2e" }),
    name: z.string().openapi({ example: "Till 2" }),
    token: z.string().openapi({ description: "Send it as `Authorization: Bearer <token>` on every POS call. Shown once; the agent keeps only its hash." }),
  })
  .openapi("TerminalPairing");
export type TerminalPairing = z.infer<typeof TerminalPairing>;

/** What the terminal sends to have a manager approve a blind return or a negative tender. */
export const ManagerApprovalRequest = z
  .object({
    managerId: z.string().min(1).max(64),
    pin: z.string().regex(/^\d{4,12}$/, "4 to 12 digits"),
  })
  .strict()
  .openapi("ManagerApprovalRequest");
export type ManagerApprovalRequest = z.infer<typeof ManagerApprovalRequest>;

/**
 * A transaction as a terminal posts it: a PosTransaction whose `approval`, if
 * any, carries the manager's PIN. The agent checks the PIN and stores only
 * the manager id and what was approved.
 */
export const PosTransactionRequest = PosTransactionFields.extend({ approval: ManagerApprovalRequest.optional() }).superRefine(checkPosLoyalty).openapi("PosTransactionRequest");
export type PosTransactionRequest = z.infer<typeof PosTransactionRequest>;
