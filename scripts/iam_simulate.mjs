// Asks @cloud-copilot/iam-simulate whether AWS would allow each request: reads a JSON array of requests on
// stdin, writes one result per request (same order) as a JSON array on stdout. A request:
//   {principal: role ARN, action, resource: ARN, identityPolicies: [{name, policy}], resourcePolicy?: policy,
//    context: {key: value}}
// A result: {result: "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied" | "Error", denies: [policy/Sid...],
//   error?: message}. Used by scripts/iam_policies.py (tests/iam); the policies come resolved from the template.
import { runSimulation } from '@cloud-copilot/iam-simulate'

const ACCOUNT_OF = (arn) => arn.split(':')[4] || undefined

async function simulate(request) {
  const simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: ACCOUNT_OF(request.resource) || ACCOUNT_OF(request.principal) },
      contextVariables: request.context ?? {},
    },
    identityPolicies: request.identityPolicies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: request.resourcePolicy,
  }
  const response = await runSimulation(simulation, {})
  if (response.resultType === 'error') {
    return { result: 'Error', error: JSON.stringify(response.errors) }
  }
  const analyses = response.resultType === 'single' ? [response.result] : response.results
  const denies = []
  for (const { analysis } of analyses) {
    for (const side of [analysis?.identityAnalysis, analysis?.resourceAnalysis]) {
      for (const statement of side?.denyStatements ?? []) {
        denies.push(`${statement.policyId ?? ''}#${statement.statement?.sid?.() ?? statement.explain?.identifier ?? ''}`)
      }
    }
  }
  return { result: response.overallResult, denies }
}

let input = ''
for await (const chunk of process.stdin) input += chunk
const results = []
for (const request of JSON.parse(input)) results.push(await simulate(request))
process.stdout.write(JSON.stringify(results))
