"""EvalOps: answer-quality test cases as code (promptfoo's shape), their assertions, the results of a
run on several models side by side, the HTML report and the release gate. The run itself is an
application service (``bot.services.evaluation``); the CLI is its door."""
