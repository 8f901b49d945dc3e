//! ODE solvers (being written).
