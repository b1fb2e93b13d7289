import { useEffect, useState } from "preact/hooks";
import { useLocation } from "wouter-preact";

/**
 * A one-field form whose value becomes part of the screen's URL (so a lookup
 * can be linked to and gone back to): `/inventory/TEE-RED-M`, `/traces/4bf9…`.
 * `name` names the form, `label` its field.
 */
export function LookupForm({ name, label, base, value, pattern, hint, submit }: { name: string; label: string; base: string; value: string; pattern?: string; hint: string; submit: string }) {
  const [, navigate] = useLocation();
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  const id = `${base.replace(/\W/g, "")}-lookup`;
  return (
    <form
      class="lookup"
      aria-label={name}
      onSubmit={(event) => {
        event.preventDefault();
        const next = draft.trim();
        if (next) navigate(`${base}/${encodeURIComponent(next)}`);
      }}
    >
      <label for={id}>{label}</label>
      <div class="lookup-row">
        <input id={id} name={id} value={draft} required pattern={pattern} autoComplete="off" spellcheck={false} aria-describedby={`${id}-hint`} onInput={(event) => setDraft(event.currentTarget.value)} />
        <button type="submit">{submit}</button>
      </div>
      <p id={`${id}-hint`} class="hint">{hint}</p>
    </form>
  );
}
