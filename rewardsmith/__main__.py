"""`python -m rewardsmith` is the `rewardsmith` command."""

from rewardsmith.cli import main

main()
