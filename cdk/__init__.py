"""AWS CDK app for salesdq (run from the repo root: `python -m cdk.app`)."""
