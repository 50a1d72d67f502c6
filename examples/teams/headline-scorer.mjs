// Scores a headline against the house rules of generator-critic.yaml:
// uppercase, ends with "!", at most 8 words. Each rule is a dimension; the
// feedback names every broken rule, so reflection can write them into the
// generator's instruction.
//
// A scorer module exports (input, output, expected, example) => number or
// {score, feedback?, dimension_scores?, actionable_guidance?}.
export default function score(input, output) {
  const text = output.trim();
  const dims = {
    uppercase: text.length > 0 && text === text.toUpperCase() && /[A-Z]/.test(text) ? 1 : 0,
    exclamation: text.endsWith('!') ? 1 : 0,
    short: text.split(/\s+/).filter(Boolean).length <= 8 ? 1 : 0,
  };
  const broken = [];
  if (!dims.uppercase) broken.push('The headline must be in uppercase.');
  if (!dims.exclamation) broken.push('The headline must end with "!".');
  if (!dims.short) broken.push('The headline must have at most 8 words.');
  const score = (dims.uppercase + dims.exclamation + dims.short) / 3;
  return {
    score,
    feedback: broken.length ? broken.join(' ') : 'The headline follows every house rule.',
    dimension_scores: dims,
    actionable_guidance: broken.length
      ? `Fix: ${broken.map((b) => b.replace('The headline must', '').replace(/\.$/, '').trim()).join('; ')}.`
      : 'Keep doing this.',
  };
}
