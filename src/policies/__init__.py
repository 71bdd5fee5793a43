"""Rules that act because time passed or something happened elsewhere: the policy runner, outbound mail."""
