// Sample inputs for the "Fill in an example" buttons: a catalog entry with
// two mistakes newcomers make, a schema change that breaks BACKWARD, and an
// event with its schema.

export const catalog = `apiVersion: backstage.io/v1alpha1
kind: Event
metadata:
  name: claim-submitted
  description: A disability claim was submitted for review.
  title: Claim Submitted
  links:
    - url: https://example.invalid/docs/claim-events
      title: Event Documentation
spec:
  type: event
  lifecycle: production
  domain: benefits
  sourceSystems:
    - systemName: Claims Intake
      teamName: Benefits Intake
      productOwner: Sam Rivera
  topics:
    - topic: claims.submitted.dev
      environment: development
    - topic: claims.submitted
      environment: staging
  retention: twenty
`

const claimV1 = {
  type: 'record',
  name: 'ClaimSubmitted',
  namespace: 'gov.va.eventbus.example',
  fields: [
    { name: 'claimId', type: 'string' },
    { name: 'submittedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'office', type: ['null', 'string'], default: null },
  ],
}

const claimV2 = {
  ...claimV1,
  fields: [
    { name: 'claimId', type: 'string' },
    { name: 'submittedAt', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'office', type: ['null', 'string'], default: null },
    { name: 'claimType', type: { type: 'enum', name: 'ClaimType', symbols: ['ORIGINAL', 'SUPPLEMENTAL'] } },
  ],
}

export const compatibility = {
  newSchema: JSON.stringify(claimV2, null, 2),
  oldSchema: JSON.stringify(claimV1, null, 2),
}

export const encode = {
  schemaId: 42,
  schema: JSON.stringify(claimV1, null, 2),
  record: JSON.stringify({ claimId: 'C-2026-0001', submittedAt: '2026-12-04T09:30:00.000Z', office: { string: 'Seattle' } }, null, 2),
}
