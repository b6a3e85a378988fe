"""One construct per capability, each in its own module; `cdk.salesdq_stack` only wires them together."""
