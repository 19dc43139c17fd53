/**
 * The words topic models count: text lower-cased, cut into runs of letters (an inner
 * apostrophe kept, a trailing "'s" dropped), English stop words and one-letter words left
 * out; and the shared vocabulary (words in at least `minDf` documents and at most
 * `maxDfRatio` of them, default all) that c-TF-IDF, LDA and NPMI all use.
 *
 * @example
 * words("The phone's battery isn't great!") // ['phone', 'battery', 'great']
 * buildVocabulary(docs.map(words), { minDf: 2 }).terms // ['battery', ...] (sorted)
 * corpusTerms(texts).ids[0]                                // document 0 as term ids
 */

/** English function words (sklearn's ENGLISH_STOP_WORDS core, plus contractions), never topic words. */
export const STOP_WORDS: ReadonlySet<string> = new Set((
  'a about above across after afterwards again against all almost alone along already also although always am among amongst an and ' +
  'another any anyhow anyone anything anyway anywhere are around as at back be became because become becomes becoming been before ' +
  'beforehand behind being below beside besides between beyond both but by can cannot could did do does doing done down due during ' +
  'each eg either else elsewhere enough etc even ever every everyone everything everywhere except few first for former formerly from ' +
  'further get gets got had has have having he hence her here hereafter hereby herein hereupon hers herself him himself his how however ' +
  'i ie if in indeed into is it its itself just last latter latterly least less let ll made make many may me meanwhile might mine more ' +
  'moreover most mostly much must my myself namely neither never nevertheless next no nobody none noone nor not nothing now nowhere of ' +
  'off often on once one only onto or other others otherwise our ours ourselves out over own per perhaps please put quite rather re ' +
  'really same say says said see seem seemed seeming seems several she should since so some somehow someone something sometime ' +
  'sometimes somewhere still such than that the their theirs them themselves then thence there thereafter thereby therefore therein ' +
  'thereupon these they this those though through throughout thru thus to together too toward towards under until up upon us very via ' +
  'was we well were what whatever when whence whenever where whereafter whereas whereby wherein whereupon wherever whether which while ' +
  'whither who whoever whole whom whose why will with within without would yet you your yours yourself yourselves ' +
  "ain aren couldn didn doesn don hadn hasn haven isn mustn needn shan shouldn wasn weren won wouldn ve isn't don't didn't doesn't " +
  "wasn't weren't can't couldn't won't wouldn't shouldn't haven't hasn't hadn't aren't i'm i've i'd i'll you're you've you'll you'd " +
  "he's she's it's we're we've we'll they're they've they'll that's there's what's let's who's"
).split(' '));

const WORD = /\p{L}+(?:'\p{L}+)*/gu;

/** The counted words of `text`, in order (see the module comment). */
export function words(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(WORD)) {
    let w = m[0];
    if (w.endsWith("'s")) w = w.slice(0, -2);
    if (w.length < 2 || STOP_WORDS.has(w)) continue;
    out.push(w);
  }
  return out;
}

/** A vocabulary: terms sorted, and each term's id. */
export interface Vocabulary {
  terms: string[];
  index: Map<string, number>;
  /** (V) documents that contain each term. */
  df: Int32Array;
}

/** The terms of `docs` (word lists) kept for the topic models (see the module comment). */
export function buildVocabulary(docs: readonly (readonly string[])[], o: { minDf?: number; maxDfRatio?: number } = {}): Vocabulary {
  const minDf = o.minDf ?? 2, maxDf = (o.maxDfRatio ?? 1) * docs.length;
  const df = new Map<string, number>();
  for (const d of docs) for (const w of new Set(d)) df.set(w, (df.get(w) ?? 0) + 1);
  const terms = [...df].filter(([, c]) => c >= minDf && c <= maxDf).map(([w]) => w).sort();
  const index = new Map(terms.map((w, i) => [w, i]));
  return { terms, index, df: Int32Array.from(terms, (w) => df.get(w)!) };
}

/** Each document's words as term ids of `vocab` (words outside it dropped). */
export function toIds(docs: readonly (readonly string[])[], vocab: Vocabulary): Int32Array[] {
  return docs.map((d) => Int32Array.from(d.flatMap((w) => {
    const id = vocab.index.get(w);
    return id === undefined ? [] : [id];
  })));
}

/** The vocabulary of `texts` and each text as its term ids: what every topic model here counts (minDf default: 2, 1 under 50 texts; no upper bound). */
export function corpusTerms(texts: readonly string[], o: { minDf?: number } = {}): { vocab: Vocabulary; ids: Int32Array[] } {
  const lists = texts.map(words);
  const vocab = buildVocabulary(lists, { minDf: o.minDf ?? (texts.length < 50 ? 1 : 2) });
  return { vocab, ids: toIds(lists, vocab) };
}
