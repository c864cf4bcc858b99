"""Tests of the delivery channels, each against a real server on loopback."""
