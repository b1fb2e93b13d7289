import { useState } from "preact/hooks";

/** Where a cursor-paged list stands: the cursors of the pages before this one, and this page's ("" is the first). */
export interface CursorPages {
  /** This page's cursor, undefined on the first page (the API's own default). */
  cursor: string | undefined;
  /** 1 on the first page. */
  number: number;
  next(nextCursor: string | null | undefined): void;
  previous(): void;
  /** Back to the first page (a filter changed). */
  reset(): void;
}

/**
 * A list paged by the API's opaque cursors: going back needs the cursors
 * already seen, since the API only answers the next one.
 *
 * @example
 * const pages = useCursorPages();
 * useEffect(() => void load(pages.cursor), [pages.cursor]);
 * <Pager pages={pages} nextCursor={page?.nextCursor} label="exceptions" />
 */
export function useCursorPages(): CursorPages {
  const [cursors, setCursors] = useState<string[]>([""]);
  const cursor = cursors[cursors.length - 1]!;
  return {
    cursor: cursor || undefined,
    number: cursors.length,
    next: (nextCursor) => nextCursor && setCursors([...cursors, nextCursor]),
    previous: () => cursors.length > 1 && setCursors(cursors.slice(0, -1)),
    reset: () => cursors.length > 1 && setCursors([""]),
  };
}

/** Previous and Next buttons; `label` names the list for screen readers when a screen has more than one pager. */
export function Pager({ pages, nextCursor, label }: { pages: CursorPages; nextCursor: string | null | undefined; label?: string }) {
  return (
    <div class="pager" role={label ? "group" : undefined} aria-label={label ? `Pages of ${label}` : undefined}>
      <button type="button" disabled={pages.number === 1} onClick={pages.previous}>Previous page</button>
      <button type="button" disabled={!nextCursor} onClick={() => pages.next(nextCursor)}>Next page</button>
    </div>
  );
}

/** ", page 3" after a caption, nothing on the first page. */
export function pageSuffix(pages: CursorPages): string {
  return pages.number > 1 ? `, page ${pages.number}` : "";
}
