import { basename } from 'node:path';
import type { SearchResult } from '../../search/index.js';
import { Csrf } from '../layout.js';
import type { Session } from '../session.js';

/** The Search form's fields as the visitor typed them, to show them again. */
export type SearchFields = Readonly<Record<(typeof SEARCH_FIELDS)[number], string>>;

/** The names of the Search form's fields (the query string of a search). */
export const SEARCH_FIELDS = [
  'q',
  'like',
  'from',
  'to',
  'place',
  'camera',
  'kind',
  'tag',
  'minScore',
  'sort',
] as const;

/** `/ui/search?…` for `fields`, leaving out the empty ones. */
function searchUrl(fields: Partial<SearchFields>): string {
  const query = new URLSearchParams();
  for (const name of SEARCH_FIELDS) {
    const value = fields[name];
    if (value) query.set(name, value);
  }
  const text = query.toString();
  return text ? `/ui/search?${text}` : '/ui/search';
}

/** A labelled text-like input of the form. */
function Field(props: {
  name: keyof SearchFields;
  label: string;
  fields: SearchFields;
  type?: string;
  hint?: string;
  step?: string;
  min?: string;
  max?: string;
}) {
  const id = `search-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.fields[props.name]}
        step={props.step}
        min={props.min}
        max={props.max}
        placeholder={props.hint}
        autocomplete="off"
      />
    </div>
  );
}

/** The Kind filter's choices: value and text. */
const KIND_CHOICES = [
  ['', 'Photos and videos'],
  ['photo', 'Photos'],
  ['video', 'Videos'],
] as const;

/** The orders a search can be sorted in. */
const SORT_CHOICES = [
  ['score', 'Best match first'],
  ['date', 'Newest first'],
] as const;

/** A labelled choice of the form. */
function Choice(props: {
  name: keyof SearchFields;
  label: string;
  fields: SearchFields;
  options: readonly (readonly [string, string])[];
}) {
  const id = `search-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <select id={id} name={props.name}>
        {props.options.map(([value, text]) => (
          <option value={value} selected={props.fields[props.name] === value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

/**
 * The query box and filters: a plain GET form, so a search is a link that can be kept, and
 * the page works without its script. A "more like this" search carries its photo along.
 */
export function SearchForm(props: { fields: SearchFields }) {
  const { fields } = props;
  const filtered = SEARCH_FIELDS.some(
    (name) => !['q', 'like', 'sort'].includes(name) && fields[name] !== '',
  );
  return (
    <form method="get" action="/ui/search" class="search" role="search">
      <div class="query">
        <label for="search-q">Search for</label>
        <input
          id="search-q"
          name="q"
          type="search"
          value={fields.q}
          placeholder="dog on the beach"
          autocomplete="off"
        />
        <button type="submit" class="primary">
          Search
        </button>
      </div>
      {fields.like ? <input type="hidden" name="like" value={fields.like} /> : null}
      <details class="filters" open={filtered}>
        <summary>Filters</summary>
        <div class="filter-grid">
          <Field name="from" label="Taken from" type="date" fields={fields} />
          <Field name="to" label="Taken until" type="date" fields={fields} />
          <Field name="place" label="Place" hint="Lisbon, Portugal or PT" fields={fields} />
          <Field name="camera" label="Camera" hint="iPhone" fields={fields} />
          <Choice name="kind" label="Kind" fields={fields} options={KIND_CHOICES} />
          <Field name="tag" label="Tag" hint="beach" fields={fields} />
          <Field
            name="minScore"
            label="Minimum score (-1 to 1)"
            type="number"
            step="0.01"
            min="-1"
            max="1"
            fields={fields}
          />
          <Choice name="sort" label="Sort by" fields={fields} options={SORT_CHOICES} />
        </div>
      </details>
    </form>
  );
}

/**
 * The photo a "more like this" search matches (a library file, or the name of the visitor's
 * own photo), with a way back to a plain search.
 */
export function LikeThis(props: { fields: SearchFields; uploaded?: string }) {
  const { fields, uploaded } = props;
  return (
    <p class="like">
      Photos that look like {uploaded !== undefined ? 'your photo ' : ''}
      <code>{uploaded ?? fields.like}</code>
      {fields.q && uploaded === undefined ? ` and match “${fields.q}”` : ''}.{' '}
      <a href={searchUrl({ ...fields, like: '' })}>Search without it</a>
    </p>
  );
}

/** What the photo field accepts: images, and RAW files, which browsers know by name only. */
const PHOTO_TYPES = 'image/*,.heic,.heif,.dng,.cr2,.cr3,.crw,.nef,.arw,.raf,.orf,.rw2,.pef,.x3f';

/**
 * A search by a photo of the visitor's own, chosen or dropped on the field: a plain POST
 * form (a file goes no other way), with the filters of the search in its address.
 */
export function UploadForm(props: { fields: SearchFields; session: Session }) {
  const action = searchUrl({ ...props.fields, q: '', like: '' });
  return (
    <form method="post" action={action} enctype="multipart/form-data" class="search-upload">
      <Csrf session={props.session} />
      <label for="search-photo">Or find photos like one of yours</label>
      <input id="search-photo" name="photo" type="file" accept={PHOTO_TYPES} required />
      <button type="submit">Find similar</button>
    </form>
  );
}

/** "2024-06-12 18:30" of an ISO capture time, as taken (local wall clock). */
function shownDate(takenAt: string | null): string {
  return takenAt ? takenAt.slice(0, 16).replace('T', ' ') : 'no date';
}

/** "Lisbon, PT", or the best the geocoder knew. */
function shownPlace(place: SearchResult['place']): string | null {
  if (!place) return null;
  const names = [place.city ?? place.region ?? place.country, place.countryCode ?? place.country];
  return [...new Set(names.filter((name): name is string => name !== null))].join(', ') || null;
}

/**
 * The hits as a grid of thumbnails, in the service's order, each with its score, date and
 * place and a "more like this" link that keeps the filters.
 */
export function SearchResults(props: { results: SearchResult[]; fields: SearchFields }) {
  const { results, fields } = props;
  if (results.length === 0) {
    return <p class="empty">No photo matches. Loosen a filter or lower the minimum score.</p>;
  }
  return (
    <>
      <p class="hint" role="status">
        {results.length} {results.length === 1 ? 'photo' : 'photos'},{' '}
        {fields.sort === 'date' ? 'newest first' : 'best match first'}.
      </p>
      <ol class="hits">
        {results.map((hit) => {
          const name = basename(hit.path);
          const place = shownPlace(hit.place);
          return (
            <li class="hit" data-path={hit.path}>
              <img
                class="hit-thumb"
                src={`/ui/search/thumb/${hit.id}`}
                alt={name}
                width="160"
                height="160"
                loading="lazy"
              />
              <p class="hit-name">
                <code title={hit.path}>{name}</code>
              </p>
              <p class="meta">
                <span class="score" title="Cosine similarity to the query, -1 to 1">
                  score {hit.score.toFixed(4)}
                </span>
                {' · '}
                <time datetime={hit.takenAt ?? undefined}>{shownDate(hit.takenAt)}</time>
                {place ? ` · ${place}` : ''}
              </p>
              <a
                class="button"
                href={searchUrl({ ...fields, q: '', like: hit.path })}
                aria-label={`More like this: ${name}`}
              >
                More like this
              </a>
            </li>
          );
        })}
      </ol>
    </>
  );
}
