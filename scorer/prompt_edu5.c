/* prompt_edu5.c - the built-in rubric, byte-identical to scorer/prompts/edu5.txt
 * (tests/unit/test_scorer.c checks that; edit both together).
 *
 * Its scale is cumulative ("stop adding as soon as one is false"), not
 * FineWeb-Edu's additive one (a point for each criterion met): its scores are
 * not comparable with FineWeb-Edu's int_score, and README says so; labels on
 * that scale come from FineWeb-Edu's own prompt given with --prompt. The text
 * is left as it is on purpose: its sha256 is in every cache key, so an edit
 * would make every stored (paid) answer unreachable. */
#include "scorer/llm.h"

const char llm_prompt_edu5[] =
    "You are grading a short extract of a web page for a reading corpus meant for children. Decide how useful the extract would be for teaching pupils from primary school up to the end of grade school.\n"
    "\n"
    "Use the additive scale below. Start at 0 and add one point for each statement that is true of the extract. The statements build on one another: stop adding as soon as one is false.\n"
    "\n"
    "1. Relevance: the extract gives at least some information on a subject taught in school (science, history, language, mathematics, geography, the arts, health, civics), even if it is mixed with advertising, navigation text or other material.\n"
    "2. Coherence: the educational part reads as connected prose that keeps to its subject, rather than a string of fragments, keywords, lists of links or boilerplate.\n"
    "3. Readability: a pupil of that age could follow it. Vocabulary and sentence length suit young readers, and unfamiliar terms are explained or clear from context.\n"
    "4. Pedagogical value: it explains rather than merely mentions. It gives reasons, steps, examples or comparisons the way a lesson or a good textbook does, with little that is off topic or unsuitable.\n"
    "5. Excellence: it is accurate, well organised and engaging, could be used in a lesson as it stands, and contains nothing unsuitable for children.\n"
    "\n"
    "The extract:\n"
    "<<<\n"
    "{text}\n"
    ">>>\n"
    "\n"
    "Write a justification of at most 100 words saying which points you awarded and why. Then write the total on the last line, alone, in this form:\n"
    "Educational score: N\n"
    "where N is a whole number from 0 to 5.\n";
