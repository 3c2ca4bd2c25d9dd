"""Reference values for @edusage/stats, computed with numpy/scipy/statsmodels/pingouin/mpmath.

Writes packages/stats/test/fixtures/reference.json: the data sets (seeded) and, for each, every
statistic the package computes, as the Python libraries compute it. The TypeScript tests compare to
these to 1e-9 relative. Run from anywhere (see the package README for the venv):

    python packages/stats/reference/make_fixtures.py
"""

import json
import math
from pathlib import Path

import mpmath
import numpy as np
import pandas as pd
import pingouin
import scipy
import statsmodels
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "reference.json"
mpmath.mp.dps = 60


def mp_log10_t_two_sided(t, df):
    """log10 of P(|T| >= |t|) = I_x(df/2, 1/2), x = df/(df+t^2), at 60 digits (independent of scipy)."""
    t = mpmath.mpf(t)
    x = mpmath.mpf(df) / (df + t * t)
    p = mpmath.betainc(mpmath.mpf(df) / 2, mpmath.mpf(1) / 2, 0, x, regularized=True)
    return float(mpmath.log10(p))


def pvalue(p, t, df):
    """scipy/statsmodels p plus an mpmath log10p of the same t (finite even where p underflows to 0)."""
    return {"p": float(p), "log10p": mp_log10_t_two_sided(t, df)}


def mean_ci(x, level):
    x = np.asarray(x, dtype=float)
    n = len(x)
    m = float(np.mean(x))
    low, high = stats.t.interval(level, n - 1, loc=m, scale=stats.sem(x))
    return {"n": n, "mean": m, "sd": float(np.std(x, ddof=1)), "se": float(stats.sem(x)), "ciLow": float(low), "ciHigh": float(high)}


def correlations(x, y, level):
    n = len(x)
    pr = stats.pearsonr(x, y)
    ci = pr.confidence_interval(level)
    r = float(pr.statistic)
    pearson = {"n": n, "r": r, "ciLow": float(ci.low), "ciHigh": float(ci.high),
               **pvalue(pr.pvalue, r * math.sqrt((n - 2) / ((1 + r) * (1 - r))), n - 2)}
    sr = stats.spearmanr(x, y)
    rho = float(sr.statistic)
    # Bonett & Wright (2000) standard error of atanh(rho); scipy's spearmanr has no interval.
    se = math.sqrt((1 + rho * rho / 2) / (n - 3))
    z = stats.norm.ppf(1 - (1 - level) / 2)
    spearman = {"n": n, "r": rho, "ciLow": float(np.tanh(np.arctanh(rho) - z * se)),
                "ciHigh": float(np.tanh(np.arctanh(rho) + z * se)),
                **pvalue(sr.pvalue, rho * math.sqrt((n - 2) / ((1 + rho) * (1 - rho))), n - 2)}
    return {"pearson": pearson, "spearman": spearman}


def statsmodels_name(name):
    """C(school)[T.Oak] -> school[Oak]; Intercept -> intercept (the package's names)."""
    if name == "Intercept":
        return "intercept"
    if name.startswith("C("):
        var = name[2:name.index(")")]
        level = name[name.index("[T.") + 3:-1]
        return f"{var}[{level}]"
    return name


def ols(frame, formula, level, robust_type="HC1"):
    classical = smf.ols(formula, frame).fit()
    robust = smf.ols(formula, frame).fit(cov_type=robust_type, use_t=True)
    alpha = 1 - level
    ci_c = classical.conf_int(alpha)
    ci_r = robust.conf_int(alpha)
    df = classical.df_resid
    coefs = []
    for name in classical.params.index:
        coefs.append({
            "name": statsmodels_name(name),
            "estimate": float(classical.params[name]),
            "se": float(classical.bse[name]), "t": float(classical.tvalues[name]),
            **pvalue(classical.pvalues[name], classical.tvalues[name], df),
            "ciLow": float(ci_c.loc[name, 0]), "ciHigh": float(ci_c.loc[name, 1]),
            "robust": {
                "se": float(robust.bse[name]), "t": float(robust.tvalues[name]),
                **pvalue(robust.pvalues[name], robust.tvalues[name], df),
                "ciLow": float(ci_r.loc[name, 0]), "ciHigh": float(ci_r.loc[name, 1]),
            },
        })
    return {"n": int(classical.nobs), "df": float(df), "r2": float(classical.rsquared),
            "adjR2": float(classical.rsquared_adj), "robustType": robust_type, "coefficients": coefs}


def hedges(treated, control, level):
    g = float(pingouin.compute_effsize(treated, control, paired=False, eftype="hedges"))
    low, high = pingouin.compute_esci(stat=g, nx=len(treated), ny=len(control), eftype="hedges",
                                      confidence=level, decimals=20)
    n = len(treated) + len(control)
    return {"g": g, "se": math.sqrt(n / (len(treated) * len(control)) + g * g / (2 * n)),
            "ciLow": float(low), "ciHigh": float(high), "nTreated": len(treated), "nControl": len(control)}


def make_data(rng, n, usage_effect, noise_sd, zero_share=0.0, schools=None, grades=None, integer_scores=True):
    """Students' weekly usage minutes (log-normal, some zeros), pre-test and post-test scores."""
    usage = np.round(rng.lognormal(mean=4.0, sigma=0.8, size=n), 1)
    usage[rng.random(n) < zero_share] = 0.0
    pre = rng.normal(500, 40, size=n)
    school = rng.choice(schools, size=n) if schools else None
    grade = rng.choice(grades, size=n) if grades else None
    post = 60 + 0.9 * pre + usage_effect * usage + rng.normal(0, noise_sd, size=n)
    # Heteroskedastic part: more spread for heavy users, so HC1 differs from the classical SE.
    post += rng.normal(0, 1, size=n) * 0.05 * usage
    if schools:
        post += np.array([{"Elm": 0.0, "Oak": 8.0, "Pine": -5.0}[s] for s in school])
    if grades:
        post += np.array([{"3": 0.0, "4": 3.0, "5": 6.0, "6": 4.0}[g] for g in grade])
    # Scale scores are whole numbers, or reported with two decimals.
    pre, post = (np.round(pre), np.round(post)) if integer_scores else (np.round(pre, 2), np.round(post, 2))
    data = {"usage": usage.tolist(), "pre": pre.tolist(), "post": post.tolist()}
    if schools:
        data["school"] = school.tolist()
    if grades:
        data["grade"] = grade.tolist()
    return data


def reference(name, data, goal_minutes, level=0.95, fixed_effects=False, description=""):
    frame = pd.DataFrame(data)
    frame["growth"] = frame["post"] - frame["pre"]
    formula = "post ~ usage + pre" + (" + C(grade) + C(school)" if fixed_effects else "")
    at_goal = frame["usage"] >= goal_minutes
    return {
        "name": name,
        "description": description,
        "level": level,
        "goalMinutes": goal_minutes,
        "fixedEffects": fixed_effects,
        "data": data,
        "expected": {
            "meanGrowth": mean_ci(frame["growth"], level),
            "meanPre": mean_ci(frame["pre"], level),
            "correlation": correlations(frame["usage"].to_numpy(), frame["growth"].to_numpy(), level),
            "ols": ols(frame, formula, level),
            "olsHc3": ols(frame, formula, level, "HC3"),
            "hedgesGrowth": hedges(frame.loc[at_goal, "growth"].to_numpy(), frame.loc[~at_goal, "growth"].to_numpy(), level),
            "hedgesPre": hedges(frame.loc[at_goal, "pre"].to_numpy(), frame.loc[~at_goal, "pre"].to_numpy(), level),
            "tertiles": [float(q) for q in np.quantile(frame["usage"].to_numpy(), [1 / 3, 2 / 3])],
        },
    }


def t_tails():
    """Two-sided t tails far beyond where 1 - cdf works, including below the double range."""
    cases = []
    for t, df in [(0.0, 5), (0.5, 3), (2.0, 10), (15.0, 198), (30.0, 4997), (40.0, 100), (60.0, 4996), (200.0, 100), (1e4, 100), (1e6, 3)]:
        p = float(2 * stats.t.sf(t, df))
        cases.append({"t": t, "df": df, "p": p, "log10p": mp_log10_t_two_sided(t, df) if t > 0 else 0.0})
    return cases


def main():
    rng = np.random.default_rng(20261203)
    schools, grades = ["Elm", "Oak", "Pine"], ["3", "4", "5", "6"]
    sets = [
        reference("small", make_data(rng, 12, 0.10, 15), 60, description="one class, n = 12"),
        reference("small-90", make_data(rng, 15, 0.05, 20), 50, level=0.90, description="n = 15, 90 % intervals"),
        reference("medium", make_data(rng, 200, 0.05, 20), 60, description="a school, n = 200"),
        reference("large", make_data(rng, 5000, 0.02, 25, integer_scores=False), 60, description="a district, n = 5000"),
        reference("zeros", make_data(rng, 300, 0.08, 20, zero_share=0.45), 30, description="skewed usage, 45 % zeros"),
        reference("fixed-effects", make_data(rng, 240, 0.06, 18, schools=schools, grades=grades), 60,
                  fixed_effects=True, description="3 schools, 4 grades"),
        reference("strong", make_data(rng, 400, 0.2, 12), 60, description="strong usage effect, p around 1e-50"),
        reference("underflow", make_data(rng, 5000, 1.0, 2, integer_scores=False), 60,
                  description="very strong effect: scipy's p is 0, log10p comes from mpmath"),
    ]
    fixture = {
        "generatedBy": "packages/stats/reference/make_fixtures.py",
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "statsmodels": statsmodels.__version__,
                     "pingouin": pingouin.__version__, "pandas": pd.__version__, "mpmath": mpmath.__version__},
        "tTails": t_tails(),
        "datasets": sets,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixture, indent=1) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
