/**
 * Evaluation: loss, perplexity and bits per byte of a model on text; text metrics of
 * system outputs against references: BLEU, chrF, chrF++ (as sacreBLEU 2.6) and ROUGE
 * (as rouge-score).
 *
 * @example
 * const r = evaluateText(model, tokenizer, text); // r.loss, r.perplexity, r.bitsPerByte
 * corpusBleu(hyps, [refs]).score; corpusChrf(hyps, [refs], 2).score; rougeScores(ref, hyp).rougeL.fmeasure
 */
export { scoreIds, evaluateText, bitsPerByte, type EvalOptions, type EvalResult } from './perplexity.ts';
export { sumLoss, meanLoss } from './loss.ts';
export { corpusBleu, bleuSignature, formatBleu, SACREBLEU_VERSION, type BleuResult } from './bleu.ts';
export { corpusChrf, sentenceChrf, chrfSignature, formatChrf, type ChrfResult } from './chrf.ts';
export { tokenize13a } from './sacrebleu-text.ts';
export { rougeScores, rougeTokenize, rougeN, rougeL, rougeLsum, meanRouge, ROUGE_TYPES, type RougeScore, type RougeScores, type RougeOptions } from './rouge.ts';
export { porterStem } from './porter.ts';
export { readSegments, splitSegments, checkSameLength } from './segment-files.ts';
export { occupationGap, continuationLogprob, pearson, type GapOptions, type GapReport, type GapRow } from './bias-gap.ts';
export { nameSwapGap, positiveLabel, type NameSwapOptions, type NameSwapReport } from './bias-names.ts';
export { weat, type WeatOptions, type WeatResult } from './bias-weat.ts';
export { OCCUPATIONS, OCCUPATION_TEMPLATES, WEAT_TESTS, NAME_TEMPLATES, type Occupation, type WeatTest } from './bias-lists.ts';
export { classificationMetrics, formatClassificationMetrics, predictLabels, type ClassificationMetrics } from './classification.ts';
