/** A key just created: its secret, shown this once (the API keeps only its hash). */
export function SecretOnce({ created, onDone }: { created: { id: string; key: string }; onDone: () => void }) {
  return (
    <div class="secret" role="status">
      <p>
        Key {created.id} created. Copy its secret now: it is not shown again.
      </p>
      <output aria-label="The new key's secret">{created.key}</output>
      <button type="button" class="quiet" onClick={onDone}>Done</button>
    </div>
  );
}

/** Revoke, then a confirmation (revoking cannot be undone); nothing for a key no longer active. */
export function RevokeKey({ id, active, confirming, onConfirming, onRevoke }: { id: string; active: boolean; confirming: boolean; onConfirming: (id: string | null) => void; onRevoke: (id: string) => void }) {
  if (!active) return null;
  return confirming ? (
    <>
      <button type="button" class="danger" onClick={() => onRevoke(id)}>Confirm revoking {id}</button>{" "}
      <button type="button" class="quiet" onClick={() => onConfirming(null)}>Keep it</button>
    </>
  ) : (
    <button type="button" onClick={() => onConfirming(id)} aria-label={`Revoke key ${id}`}>Revoke</button>
  );
}
