/**
 * Run tags and the run list's filter. Tags follow the contract's RunTag (1–64 characters, one line, at most
 * RUN_TAGS_MAX per run); they are checked here too so the field can say what is wrong before the host refuses.
 */
import { RUN_TAGS_MAX, type RunSummary } from '../../../src-shared/contract';

export const TAG_MAX_LENGTH = 64;

export type TagCheck = { readonly ok: true; readonly tags: string[] } | { readonly ok: false; readonly error: string };

/** Adds `raw` (trimmed) to `tags`; a tag already there (ignoring case) leaves the list as it is. */
export function addTag(tags: readonly string[], raw: string): TagCheck {
  const tag = raw.trim();
  if (!tag) return { ok: false, error: 'Type a tag first.' };
  if (/[\r\n\t]/.test(tag)) return { ok: false, error: 'A tag is one line of text (no tabs or line breaks).' };
  if ([...tag].length > TAG_MAX_LENGTH) return { ok: false, error: `A tag has at most ${TAG_MAX_LENGTH} characters (this one has ${[...tag].length}).` };
  if (tags.some((t) => t.toLowerCase() === tag.toLowerCase())) return { ok: true, tags: [...tags] };
  if (tags.length >= RUN_TAGS_MAX) return { ok: false, error: `A run has at most ${RUN_TAGS_MAX} tags; remove one first.` };
  return { ok: true, tags: [...tags, tag] };
}

export function removeTag(tags: readonly string[], tag: string): string[] {
  return tags.filter((t) => t !== tag);
}

/**
 * Whether a run matches the filter box: every word of the query must be found (ignoring case) in the run's
 * name, id, algorithm (or its label), kind, status or one of its tags; a word written `#word` matches tags only.
 */
export function runMatches(run: Pick<RunSummary, 'id' | 'name' | 'algorithm' | 'kind' | 'status' | 'tags'>, query: string, algorithmLabel = ''): boolean {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return true;
  const tags = (run.tags ?? []).map((t) => t.toLowerCase());
  const fields = [run.name, run.id, run.algorithm, algorithmLabel, run.kind, run.status].map((f) => f.toLowerCase());
  return words.every((w) => {
    if (w.startsWith('#') && w.length > 1) return tags.some((t) => t.includes(w.slice(1)));
    return tags.some((t) => t.includes(w)) || fields.some((f) => f.includes(w));
  });
}
