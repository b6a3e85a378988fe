"""What the operator commands do, one module per operation, on AWS or the embedded engine alike; each takes a
salesdq.locate.StackRef and reaches AWS only through the stores it hands out (services/dal). Printing is the
command line's (salesdq/cli)."""
